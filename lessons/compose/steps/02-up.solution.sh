cd ~/hitcounter
docker-compose up -d
docker-compose ps
for i in $(seq 50); do curl -fs localhost:8000 && break; sleep 0.2; done
curl -s localhost:8000
curl -s localhost:8000
