docker run -d --name registry -p 5000:5000 -v registry-data:/var/lib/registry registry:2
for i in $(seq 50); do curl -fs localhost:5000/v2/ >/dev/null && break; sleep 0.2; done
docker tag analysis:1.0 localhost:5000/analysis:1.0
docker push localhost:5000/analysis:1.0
docker images --digests localhost:5000/analysis
docker image inspect --format '{{index .RepoDigests 0}}' localhost:5000/analysis:1.0 | tee ~/analysis.ref
docker rmi analysis:1.0 analysis:1.0-again localhost:5000/analysis:1.0
docker pull $(cat ~/analysis.ref)
docker run --rm $(cat ~/analysis.ref)
docker image inspect --format '{{.Id}}' $(cat ~/analysis.ref)
docker tag $(cat ~/analysis.ref) analysis:1.0
