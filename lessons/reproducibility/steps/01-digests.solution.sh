docker pull python:3
docker images --digests python
docker image inspect --format '{{index .RepoDigests 0}}' python:3 | tee ~/base.txt
