docker run -d --name web -p 8080:80 nginx
docker ps
for i in $(seq 50); do curl -fs localhost:8080 && break; sleep 0.2; done
docker logs web
