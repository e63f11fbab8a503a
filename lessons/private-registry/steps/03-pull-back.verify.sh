# Passes when lab/greeter:1.0 is back on this machine, pulled from the registry: no local
# copy of the greeter's latest tag is left, and the registry's log shows it served the
# greeter's manifest (a push never asks for one).
if docker image inspect localhost:5000/lab/greeter:latest >/dev/null 2>&1; then
  echo "localhost:5000/lab/greeter:latest is still here: remove the local copies first (docker rmi localhost:5000/lab/greeter:1.0 localhost:5000/lab/greeter:latest). / localhost:5000/lab/greeter:latest est toujours là : supprimez d'abord les copies locales (docker rmi localhost:5000/lab/greeter:1.0 localhost:5000/lab/greeter:latest)."
  exit 1
fi
if ! docker image inspect --format '{{join .RepoDigests " "}}' localhost:5000/lab/greeter:1.0 2>/dev/null | grep -q 'localhost:5000/lab/greeter@sha256:'; then
  echo "localhost:5000/lab/greeter:1.0 is not back yet: docker pull localhost:5000/lab/greeter:1.0. / localhost:5000/lab/greeter:1.0 n'est pas encore revenue : docker pull localhost:5000/lab/greeter:1.0."
  exit 1
fi
registry=$(docker ps -q --filter publish=5000 | head -n 1)
if ! docker logs "$registry" 2>&1 | grep -q '"GET /v2/lab/greeter/manifests/'; then
  echo "The registry has not served the greeter yet: remove the local copies, then docker pull localhost:5000/lab/greeter:1.0. / Le registre n'a pas encore servi le greeter : supprimez les copies locales, puis docker pull localhost:5000/lab/greeter:1.0."
  exit 1
fi
