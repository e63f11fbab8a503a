docker run --rm -e PROJECT=climate busybox sh -c 'echo "Working on project $PROJECT"'
docker run -d --name envdemo -e PROJECT=climate -e RUN_ID=42 busybox sleep 3600
docker exec envdemo env
docker inspect --format '{{json .Config.Env}}' envdemo
