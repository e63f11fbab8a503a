# Passes when the volume notes holds a clock.log of two lines or more and the container
# logger that wrote it is gone.
dir=$(docker volume inspect --format '{{.Mountpoint}}' notes 2>/dev/null)
lines=$(grep -c . "$dir/clock.log" 2>/dev/null)
if [ -z "$dir" ] || [ "${lines:-0}" -lt 2 ]; then
  echo "The volume notes holds no clock.log of a few lines yet: run the logger container for a few seconds. / Le volume notes ne contient pas encore de clock.log de quelques lignes : laissez tourner le conteneur logger quelques secondes."
  exit 1
fi
if docker inspect logger >/dev/null 2>&1; then
  echo "The container logger still exists: remove it with docker rm -f logger, the data will stay. / Le conteneur logger existe encore : supprimez-le avec docker rm -f logger, les données resteront."
  exit 1
fi
