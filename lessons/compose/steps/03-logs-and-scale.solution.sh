cd ~/hitcounter
docker-compose logs
docker-compose logs --tail 3 web
cat lb.conf
cat > docker-compose.yml <<'EOF'
services:
  web:
    build: .
    depends_on:
      - redis
  redis:
    image: redis
  lb:
    image: nginx
    ports:
      - "8000:80"
    volumes:
      - ./lb.conf:/etc/nginx/conf.d/default.conf:ro
    depends_on:
      - web
EOF
docker-compose up -d --scale web=3
docker-compose ps
for i in $(seq 50); do curl -fs localhost:8000 >/dev/null && break; sleep 0.2; done
for i in 1 2 3 4 5 6; do curl -s localhost:8000; done
