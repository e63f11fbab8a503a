# Passes when the running container registry answers the registry API on localhost:5000.
if [ "$(docker inspect --format '{{.State.Running}}' registry 2>/dev/null)" != true ]; then
  echo "No container named registry is running: docker run -d --name registry -p 5000:5000 registry:2. / Aucun conteneur nommé registry ne tourne : docker run -d --name registry -p 5000:5000 registry:2."
  exit 1
fi
if ! curl -fs --max-time 3 http://127.0.0.1:5000/v2/ >/dev/null; then
  echo "Nothing answers on localhost:5000/v2/: check the -p 5000:5000 of the container registry. / Rien ne répond sur localhost:5000/v2/ : vérifiez le -p 5000:5000 du conteneur registry."
  exit 1
fi
