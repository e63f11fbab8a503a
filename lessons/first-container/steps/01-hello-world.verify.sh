# Passes when at least one container was made from the hello-world image.
if [ -z "$(docker ps -aq --filter ancestor=hello-world)" ]; then
  echo "No container made from hello-world yet: run docker run hello-world. / Aucun conteneur créé à partir de hello-world : lancez docker run hello-world."
  exit 1
fi
