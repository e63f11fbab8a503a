# Passes when a container was run from docker/whalesay.
if [ -z "$(docker ps -aq --filter ancestor=docker/whalesay)" ]; then
  echo "No container has run docker/whalesay yet: run docker run docker/whalesay cowsay hello. / Aucun conteneur n'a encore lancé docker/whalesay : lancez docker run docker/whalesay cowsay bonjour."
  exit 1
fi
