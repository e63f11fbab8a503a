# Passes when the running container auto publishes its port 80 on a host port where nginx
# answers.
if [ "$(docker inspect --format '{{.State.Running}}' auto 2>/dev/null)" != true ]; then
  echo "No container named auto is running: docker run -d --name auto -P nginx. / Aucun conteneur nommé auto ne tourne : docker run -d --name auto -P nginx."
  exit 1
fi
port=$(docker port auto 80/tcp 2>/dev/null | head -n 1 | sed 's/.*://')
if [ -z "$port" ]; then
  echo "auto publishes no port: recreate it with -P. / auto ne publie aucun port : recréez-le avec -P."
  exit 1
fi
if ! curl -fs --max-time 3 "http://127.0.0.1:$port/" | grep -qi nginx; then
  echo "Nothing answers on host port $port yet. / Rien ne répond encore sur le port $port de l'hôte."
  exit 1
fi
