docker exec collector ps
docker exec collector env
for i in $(seq 25); do docker exec collector grep -q '^1,' /data/samples.csv && break; sleep 0.2; done
docker exec collector tail -n 3 /data/samples.csv
docker cp collector:/data/samples.csv ~/samples.csv
head ~/samples.csv
