# Passes when three containers of the hitcounter web service are running.
n=$(docker ps -q --filter label=com.docker.compose.project=hitcounter --filter label=com.docker.compose.service=web | wc -l)
if [ "$n" -ne 3 ]; then
  echo "$n container(s) of the service web are running, not 3: docker-compose up -d --scale web=3. / $n conteneur(s) du service web tourne(nt), pas 3 : docker-compose up -d --scale web=3."
  exit 1
fi
