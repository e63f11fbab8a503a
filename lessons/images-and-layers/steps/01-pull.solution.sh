docker image ls
docker pull nginx
docker pull nginx:1.22
docker image ls
