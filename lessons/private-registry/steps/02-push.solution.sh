mkdir -p ~/greeter && cd ~/greeter
cat > Dockerfile <<'EOF'
FROM busybox
CMD ["echo", "Hello from the lab's own registry!"]
EOF
docker build -t localhost:5000/lab/greeter:1.0 .
docker tag localhost:5000/lab/greeter:1.0 localhost:5000/lab/greeter:latest
docker push localhost:5000/lab/greeter:1.0
docker push localhost:5000/lab/greeter:latest
curl -s localhost:5000/v2/_catalog
curl -s localhost:5000/v2/lab/greeter/tags/list
