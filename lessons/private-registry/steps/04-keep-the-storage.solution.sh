docker rm -f registry
docker run -d --name registry -p 5000:5000 -v registry-data:/var/lib/registry registry:2
for i in $(seq 50); do curl -fs localhost:5000/v2/_catalog && break; sleep 0.2; done
docker push localhost:5000/lab/greeter:1.0
curl -s localhost:5000/v2/_catalog
docker rm -f registry
docker run -d --name registry -p 5000:5000 -v registry-data:/var/lib/registry registry:2
for i in $(seq 50); do curl -fs localhost:5000/v2/_catalog && break; sleep 0.2; done
