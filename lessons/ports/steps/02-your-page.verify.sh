# Passes when the running container site serves ~/site/index.html on port 8081.
if [ ! -s /root/site/index.html ]; then
  echo "There is no ~/site/index.html yet: write the page first. / Il n'y a pas encore de ~/site/index.html : écrivez d'abord la page."
  exit 1
fi
if [ "$(docker inspect --format '{{.State.Running}}' site 2>/dev/null)" != true ]; then
  echo "No container named site is running: docker run -d --name site -p 8081:80 -v ~/site:/usr/share/nginx/html:ro nginx. / Aucun conteneur nommé site ne tourne : docker run -d --name site -p 8081:80 -v ~/site:/usr/share/nginx/html:ro nginx."
  exit 1
fi
if ! curl -fs --max-time 3 http://127.0.0.1:8081/ | cmp -s - /root/site/index.html; then
  echo "localhost:8081 does not serve ~/site/index.html: check the -p 8081:80 and the -v of the container site. / localhost:8081 ne sert pas ~/site/index.html : vérifiez le -p 8081:80 et le -v du conteneur site."
  exit 1
fi
