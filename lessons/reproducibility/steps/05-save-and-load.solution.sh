docker save -o ~/analysis-1.0.tar analysis:1.0
ls -lh ~/analysis-1.0.tar
tar -tf ~/analysis-1.0.tar | head
docker rmi analysis:1.0
docker load -i ~/analysis-1.0.tar
docker image inspect --format '{{.Id}}' analysis:1.0
docker run --rm analysis:1.0
