docker create --name napper busybox sleep 3600
docker ps -a --filter name=napper
docker start napper
docker ps
