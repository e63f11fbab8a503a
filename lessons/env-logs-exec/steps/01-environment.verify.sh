# Passes when the running container envdemo has PROJECT=climate in its environment.
if [ "$(docker inspect --format '{{.State.Running}}' envdemo 2>/dev/null)" != true ]; then
  echo "No container named envdemo is running: docker run -d --name envdemo -e PROJECT=climate -e RUN_ID=42 busybox sleep 3600. / Aucun conteneur nommé envdemo ne tourne : docker run -d --name envdemo -e PROJECT=climate -e RUN_ID=42 busybox sleep 3600."
  exit 1
fi
if ! docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' envdemo | grep -qx 'PROJECT=climate'; then
  echo "envdemo has no PROJECT=climate in its environment: recreate it with -e PROJECT=climate. / envdemo n'a pas PROJECT=climate dans son environnement : recréez-le avec -e PROJECT=climate."
  exit 1
fi
