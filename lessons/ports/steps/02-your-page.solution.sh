mkdir -p ~/site
cat > ~/site/index.html <<'EOF'
<!doctype html>
<title>My site</title>
<h1>Hello from my own container!</h1>
<p>Served by nginx, from a folder of the host.</p>
EOF
docker run -d --name site -p 8081:80 -v ~/site:/usr/share/nginx/html:ro nginx
for i in $(seq 50); do curl -fs localhost:8081 && break; sleep 0.2; done
sed -i 's/Hello from my own container!/Hello again, edited live!/' ~/site/index.html
curl -s localhost:8081
