cd ~/hitcounter
ls
cat Dockerfile
cat > docker-compose.yml <<'EOF'
services:
  web:
    build: .
    ports:
      - "8000:8000"
    depends_on:
      - redis
  redis:
    image: redis
EOF
docker-compose config
