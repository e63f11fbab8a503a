cat ~/collector/Dockerfile
docker build -t collector ~/collector
docker run -d --name collector collector
sleep 1
docker ps
docker ps -a --filter name=collector
docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' collector
docker logs collector
