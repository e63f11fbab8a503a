# Passes when collector runs with an API_KEY and its logs say the key was accepted.
if [ "$(docker inspect --format '{{.State.Running}}' collector 2>/dev/null)" != true ]; then
  echo "collector is not running: docker rm -f collector, then docker run -d --name collector -e API_KEY=demo-key-123 collector. / collector ne tourne pas : docker rm -f collector, puis docker run -d --name collector -e API_KEY=demo-key-123 collector."
  exit 1
fi
if ! docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' collector | grep -q '^API_KEY=.'; then
  echo "collector runs without an API_KEY: recreate it with -e API_KEY=... / collector tourne sans API_KEY : recréez-le avec -e API_KEY=..."
  exit 1
fi
if ! docker logs collector 2>&1 | grep -q "API key accepted"; then
  echo "The logs of collector do not say the key was accepted yet: read docker logs collector. / Les journaux de collector n'indiquent pas encore que la clé est acceptée : lisez docker logs collector."
  exit 1
fi
