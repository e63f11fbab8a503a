docker run -d --name registry -p 5000:5000 registry:2
for i in $(seq 50); do curl -fs localhost:5000/v2/_catalog && break; sleep 0.2; done
