# Passes when the container napper has been removed.
if docker inspect napper >/dev/null 2>&1; then
  echo "The container napper still exists: remove it with docker rm napper. / Le conteneur napper existe encore : supprimez-le avec docker rm napper."
  exit 1
fi
