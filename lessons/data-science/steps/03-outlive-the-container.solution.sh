docker rm -f notebook
docker ps -a
ls -l ~/analysis
cd ~/analysis
docker run -d --name notebook-2 -p 8888:8888 -v "$PWD":/home/jovyan/work jupyter/scipy-notebook
for i in $(seq 200); do docker logs notebook-2 2>&1 | grep -q '/?token=' && break; sleep 0.3; done
docker logs notebook-2 2>&1 | grep token=
