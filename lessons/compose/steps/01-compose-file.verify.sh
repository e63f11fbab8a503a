# Passes when ~/hitcounter/docker-compose.yml is valid and defines the services web and redis.
cd /root/hitcounter 2>/dev/null || { echo "The folder ~/hitcounter is missing. / Le dossier ~/hitcounter est absent."; exit 1; }
if [ ! -f docker-compose.yml ]; then
  echo "There is no ~/hitcounter/docker-compose.yml yet. / Il n'y a pas encore de ~/hitcounter/docker-compose.yml."
  exit 1
fi
if ! services=$(docker-compose config --services 2>&1); then
  echo "docker-compose config finds an error in the file: $services / docker-compose config trouve une erreur dans le fichier : $services"
  exit 1
fi
for service in web redis; do
  if ! echo "$services" | grep -qx "$service"; then
    echo "The file defines no service named $service. / Le fichier ne définit aucun service nommé $service."
    exit 1
  fi
done
