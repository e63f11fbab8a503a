docker rmi localhost:5000/lab/greeter:1.0 localhost:5000/lab/greeter:latest
docker builder prune -af
docker image ls
docker pull localhost:5000/lab/greeter:1.0
docker run --rm localhost:5000/lab/greeter:1.0
