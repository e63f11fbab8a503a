docker rm napper
docker ps -a
docker run --rm busybox echo "here and gone"
