mkdir -p ~/analysis && cd ~/analysis
cat > growth.csv <<'CSV'
day,culture,size
1,A,1.2
1,B,1.0
3,A,2.9
3,B,2.1
5,A,5.8
5,B,3.9
7,A,9.7
7,B,6.2
CSV
ls -l
docker run -d --name notebook -p 8888:8888 -v "$PWD":/home/jovyan/work jupyter/scipy-notebook
for i in $(seq 200); do docker logs notebook 2>&1 | grep -q '/?token=' && break; sleep 0.3; done
docker logs notebook
