cd ~/hitcounter
docker-compose down
docker-compose ps
docker network ls
docker-compose up -d
for i in $(seq 50); do curl -fs localhost:8000 && break; sleep 0.2; done
docker-compose down
