# Passes when the container collector ran the collector image and exited with code 3.
if ! docker image inspect collector >/dev/null 2>&1; then
  echo "There is no image collector yet: docker build -t collector ~/collector. / Il n'y a pas encore d'image collector : docker build -t collector ~/collector."
  exit 1
fi
state=$(docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' collector 2>/dev/null)
if [ -z "$state" ]; then
  echo "There is no container named collector: docker run -d --name collector collector. / Il n'y a pas de conteneur nommé collector : docker run -d --name collector collector."
  exit 1
fi
if [ "$state" != "exited 3" ]; then
  echo "collector is '$state', not stopped with code 3: for this step, run it without any -e (docker rm -f collector, then docker run -d --name collector collector). / collector est « $state », pas arrêté avec le code 3 : pour cette étape, lancez-le sans aucun -e (docker rm -f collector, puis docker run -d --name collector collector)."
  exit 1
fi
