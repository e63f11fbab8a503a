# Passes when the hitcounter project runs with redis storing /data in the volume
# hitcounter_counts, and the page still counts.
redis=$(docker ps -q --filter label=com.docker.compose.project=hitcounter --filter label=com.docker.compose.service=redis | head -n 1)
if [ -z "$redis" ]; then
  echo "The service redis of hitcounter is not running: docker-compose up -d in ~/hitcounter. / Le service redis de hitcounter ne tourne pas : docker-compose up -d dans ~/hitcounter."
  exit 1
fi
if ! docker inspect --format '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' "$redis" | grep -q 'hitcounter_counts:/data'; then
  echo "redis does not keep /data in the volume hitcounter_counts: add the volume to the compose file and run docker-compose up -d. / redis ne garde pas /data dans le volume hitcounter_counts : ajoutez le volume au fichier compose et lancez docker-compose up -d."
  exit 1
fi
if ! curl -fs --max-time 5 http://127.0.0.1:8000/ | grep -q "seen [0-9]* time"; then
  echo "localhost:8000 does not show the hit count: read docker-compose logs. / localhost:8000 n'affiche pas le compteur : lisez docker-compose logs."
  exit 1
fi
