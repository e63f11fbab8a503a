# Passes when no container made from hello-world is left.
left=$(docker ps -aq --filter ancestor=hello-world | wc -l)
if [ "$left" -gt 0 ]; then
  echo "$left container(s) made from hello-world remain: remove them with docker rm or docker container prune. / Il reste $left conteneur(s) créé(s) à partir de hello-world : supprimez-les avec docker rm ou docker container prune."
  exit 1
fi
