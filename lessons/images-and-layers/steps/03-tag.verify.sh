# Passes when my-web:1.0 exists and is the very image nginx:1.22 names.
mine=$(docker image inspect --format '{{.Id}}' my-web:1.0 2>/dev/null)
theirs=$(docker image inspect --format '{{.Id}}' nginx:1.22 2>/dev/null)
if [ -z "$mine" ]; then
  echo "There is no image my-web:1.0: tag it with docker tag nginx:1.22 my-web:1.0. / Il n'y a pas d'image my-web:1.0 : créez le tag avec docker tag nginx:1.22 my-web:1.0."
  exit 1
fi
if [ "$mine" != "$theirs" ]; then
  echo "my-web:1.0 is not the same image as nginx:1.22: tag it again from nginx:1.22. / my-web:1.0 n'est pas la même image que nginx:1.22 : refaites le tag à partir de nginx:1.22."
  exit 1
fi
