cd ~/analysis
docker build -t analysis:1.0-again .
docker image inspect --format '{{.Id}}' analysis:1.0 analysis:1.0-again
sleep 1
docker build --no-cache -t analysis:1.1 .
docker image inspect --format '{{.Id}}  {{.Created}}' analysis:1.0 analysis:1.1
docker run --rm analysis:1.1
