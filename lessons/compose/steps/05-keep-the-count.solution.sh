cd ~/hitcounter
cat > docker-compose.yml <<'EOF'
services:
  web:
    build: .
    depends_on:
      - redis
  redis:
    image: redis
    volumes:
      - counts:/data
  lb:
    image: nginx
    ports:
      - "8000:80"
    volumes:
      - ./lb.conf:/etc/nginx/conf.d/default.conf:ro
    depends_on:
      - web

volumes:
  counts:
EOF
docker-compose up -d
for i in $(seq 50); do curl -fs localhost:8000 && break; sleep 0.2; done
curl -s localhost:8000
curl -s localhost:8000
docker-compose down
docker-compose up -d
for i in $(seq 50); do curl -fs localhost:8000 && break; sleep 0.2; done
docker volume ls
