# Passes when web1 and web2 run from my-web:1.0 and only web1 holds who.txt.
for name in web1 web2; do
  if [ "$(docker inspect --format '{{.State.Running}} {{.Config.Image}}' "$name" 2>/dev/null)" != "true my-web:1.0" ]; then
    echo "No container $name is running from my-web:1.0: docker run -d --name $name my-web:1.0. / Aucun conteneur $name ne tourne à partir de my-web:1.0 : docker run -d --name $name my-web:1.0."
    exit 1
  fi
done
if ! docker exec web1 test -f /usr/share/nginx/html/who.txt; then
  echo "web1 has no /usr/share/nginx/html/who.txt yet: write it with docker exec. / web1 n'a pas encore de /usr/share/nginx/html/who.txt : écrivez-le avec docker exec."
  exit 1
fi
if docker exec web2 test -f /usr/share/nginx/html/who.txt; then
  echo "web2 has a who.txt too: the point is to change web1 only; recreate web2. / web2 a aussi un who.txt : le but est de ne modifier que web1 ; recréez web2."
  exit 1
fi
