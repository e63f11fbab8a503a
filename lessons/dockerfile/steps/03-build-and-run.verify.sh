# Passes when the image wisewhale:latest exists, built on docker/whalesay, with a CMD that
# runs cowsay, and a container made from it prints a whale.
if ! docker image inspect wisewhale:latest >/dev/null 2>&1; then
  echo "There is no image wisewhale yet: docker build -t wisewhale ~/wisewhale. / Il n'y a pas encore d'image wisewhale : docker build -t wisewhale ~/wisewhale."
  exit 1
fi
base=$(docker image inspect --format '{{join .RootFS.Layers " "}}' docker/whalesay:latest 2>/dev/null)
mine=$(docker image inspect --format '{{join .RootFS.Layers " "}}' wisewhale:latest)
case "$mine" in
  "$base "*) ;;
  *) echo "wisewhale is not built on docker/whalesay: check the FROM line and build again. / wisewhale n'est pas construite sur docker/whalesay : vérifiez la ligne FROM et reconstruisez."
     exit 1 ;;
esac
if ! docker run --rm wisewhale 2>&1 | grep -q "~~~~~~"; then
  echo "docker run --rm wisewhale prints no whale: check the CMD line and build again. / docker run --rm wisewhale n'affiche pas de baleine : vérifiez la ligne CMD et reconstruisez."
  exit 1
fi
