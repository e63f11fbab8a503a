# Passes when the running container web publishes its port 80 on port 8080 and nginx
# answers there.
if [ "$(docker inspect --format '{{.State.Running}}' web 2>/dev/null)" != true ]; then
  echo "No container named web is running: docker run -d --name web -p 8080:80 nginx. / Aucun conteneur nommé web ne tourne : docker run -d --name web -p 8080:80 nginx."
  exit 1
fi
if ! docker port web 80/tcp 2>/dev/null | grep -q ':8080$'; then
  echo "web does not publish its port 80 on 8080: recreate it with -p 8080:80. / web ne publie pas son port 80 sur 8080 : recréez-le avec -p 8080:80."
  exit 1
fi
if ! curl -fs --max-time 3 http://127.0.0.1:8080/ | grep -qi nginx; then
  echo "Nothing answers on localhost:8080 yet. / Rien ne répond encore sur localhost:8080."
  exit 1
fi
