# Passes when a container named napper, made from busybox, is running.
state=$(docker inspect --format '{{.State.Status}}' napper 2>/dev/null)
if [ -z "$state" ]; then
  echo "There is no container named napper yet: create it with docker create --name napper busybox sleep 3600. / Il n'y a pas encore de conteneur nommé napper : créez-le avec docker create --name napper busybox sleep 3600."
  exit 1
fi
if [ "$state" != running ]; then
  echo "napper exists but is $state, not running: start it with docker start napper. / napper existe mais son état est $state, pas running : démarrez-le avec docker start napper."
  exit 1
fi
