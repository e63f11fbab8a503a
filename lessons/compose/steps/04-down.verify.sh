# Passes when no container and no network of the hitcounter project are left.
if [ -n "$(docker ps -aq --filter label=com.docker.compose.project=hitcounter)" ]; then
  echo "Containers of hitcounter are still there: docker-compose down in ~/hitcounter. / Des conteneurs de hitcounter sont toujours là : docker-compose down dans ~/hitcounter."
  exit 1
fi
if [ -n "$(docker network ls -q --filter label=com.docker.compose.project=hitcounter)" ]; then
  echo "The network of hitcounter is still there: docker-compose down in ~/hitcounter. / Le réseau de hitcounter est toujours là : docker-compose down dans ~/hitcounter."
  exit 1
fi
