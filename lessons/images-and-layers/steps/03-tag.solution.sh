docker tag nginx:1.22 my-web:1.0
docker image ls
