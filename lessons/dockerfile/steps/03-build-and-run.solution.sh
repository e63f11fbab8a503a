cd ~/wisewhale
docker build -t wisewhale .
docker run --rm wisewhale
docker run --rm wisewhale
docker history wisewhale
docker image ls
