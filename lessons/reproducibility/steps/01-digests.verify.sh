# Passes when ~/base.txt holds python@sha256:… as recorded for python:3.
want=$(docker image inspect --format '{{join .RepoDigests "\n"}}' python:3 2>/dev/null | grep '^python@sha256:' | head -n 1)
if [ -z "$want" ]; then
  echo "python:3 is not here yet: docker pull python:3. / python:3 n'est pas encore là : docker pull python:3."
  exit 1
fi
got=$(cat /root/base.txt 2>/dev/null | tr -d '[:space:]')
if [ "$got" != "$want" ]; then
  echo "~/base.txt does not hold the digest of python:3 ($want): run the docker image inspect command again. / ~/base.txt ne contient pas l'empreinte de python:3 ($want) : relancez la commande docker image inspect."
  exit 1
fi
