docker run docker/whalesay cowsay "Hello from Quai!"
docker run docker/whalesay
