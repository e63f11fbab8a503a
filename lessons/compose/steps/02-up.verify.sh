# Passes when the hitcounter project's web and redis run and the page counts hits.
for service in web redis; do
  if [ -z "$(docker ps -q --filter label=com.docker.compose.project=hitcounter --filter label=com.docker.compose.service=$service)" ]; then
    echo "The service $service of hitcounter is not running: docker-compose up -d in ~/hitcounter. / Le service $service de hitcounter ne tourne pas : docker-compose up -d dans ~/hitcounter."
    exit 1
  fi
done
if ! curl -fs --max-time 5 http://127.0.0.1:8000/ | grep -q "seen [0-9]* time"; then
  echo "localhost:8000 does not show the hit count yet: read docker-compose logs. / localhost:8000 n'affiche pas encore le compteur : lisez docker-compose logs."
  exit 1
fi
