docker volume create notes
docker volume ls
docker volume inspect notes
