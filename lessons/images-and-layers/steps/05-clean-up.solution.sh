docker rmi my-web:1.0
docker rm -f web1 web2
docker ps -a
docker image ls
docker system df
