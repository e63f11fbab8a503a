docker ps
docker ps -a
docker container prune --force
