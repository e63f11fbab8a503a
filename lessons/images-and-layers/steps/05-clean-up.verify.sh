# Passes when web1, web2 and the tag my-web:1.0 are gone while nginx:latest stays.
for name in web1 web2; do
  if docker inspect "$name" >/dev/null 2>&1; then
    echo "The container $name still exists: docker rm -f $name. / Le conteneur $name existe encore : docker rm -f $name."
    exit 1
  fi
done
if docker image inspect my-web:1.0 >/dev/null 2>&1; then
  echo "The tag my-web:1.0 is still there: docker rmi my-web:1.0. / Le tag my-web:1.0 est toujours là : docker rmi my-web:1.0."
  exit 1
fi
if ! docker image inspect nginx:latest >/dev/null 2>&1; then
  echo "nginx:latest is gone too: bring it back with docker pull nginx. / nginx:latest a disparu aussi : récupérez-le avec docker pull nginx."
  exit 1
fi
