# Passes when the container napper still exists and has been stopped.
state=$(docker inspect --format '{{.State.Status}}' napper 2>/dev/null)
if [ -z "$state" ]; then
  echo "The container napper is gone: create and start it again (step 3), then stop it. / Le conteneur napper a disparu : recréez-le et démarrez-le (étape 3), puis arrêtez-le."
  exit 1
fi
if [ "$state" != exited ]; then
  echo "napper is $state: stop it with docker kill napper. / L'état de napper est $state : arrêtez-le avec docker kill napper."
  exit 1
fi
