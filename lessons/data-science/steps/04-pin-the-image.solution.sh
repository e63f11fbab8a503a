docker images --digests jupyter/scipy-notebook
cd ~/analysis
docker image inspect --format '{{index .RepoDigests 0}}' jupyter/scipy-notebook | tee image.txt
docker rm -f notebook-2
docker run -d --name notebook -p 8888:8888 -v "$PWD":/home/jovyan/work "$(cat image.txt)"
docker ps
