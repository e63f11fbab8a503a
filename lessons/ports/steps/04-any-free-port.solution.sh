docker run -d --name auto -P nginx
docker port auto
port=$(docker port auto 80/tcp | head -n 1 | cut -d: -f2)
for i in $(seq 50); do curl -fs localhost:$port | head -n 4 && break; sleep 0.2; done
docker ps
