# Passes when busybox is gone from the local store and lab/greeter:1.0 is back, pulled from
# the registry.
if docker image inspect busybox:latest >/dev/null 2>&1; then
  echo "busybox is still here: remove the local images first (docker rmi localhost:5000/lab/greeter:1.0 localhost:5000/lab/greeter:latest busybox). / busybox est toujours là : supprimez d'abord les images locales (docker rmi localhost:5000/lab/greeter:1.0 localhost:5000/lab/greeter:latest busybox)."
  exit 1
fi
if ! docker image inspect --format '{{join .RepoDigests " "}}' localhost:5000/lab/greeter:1.0 2>/dev/null | grep -q 'localhost:5000/lab/greeter@sha256:'; then
  echo "localhost:5000/lab/greeter:1.0 is not back yet: docker pull localhost:5000/lab/greeter:1.0. / localhost:5000/lab/greeter:1.0 n'est pas encore revenue : docker pull localhost:5000/lab/greeter:1.0."
  exit 1
fi
