docker run -d --name web1 my-web:1.0
docker run -d --name web2 my-web:1.0
docker ps
docker exec web1 sh -c 'echo "I am web1" > /usr/share/nginx/html/who.txt'
docker exec web1 cat /usr/share/nginx/html/who.txt
docker exec web2 cat /usr/share/nginx/html/who.txt || true
docker diff web1
docker ps -s
