docker rm collector
docker run -d --name collector -e API_KEY=demo-key-123 collector
docker ps
for i in $(seq 25); do docker logs collector 2>&1 | grep -q "API key accepted" && break; sleep 0.2; done
docker logs -t collector
docker logs --tail 2 collector
