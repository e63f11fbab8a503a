# Passes when ~/analysis/image.txt holds jupyter/scipy-notebook@sha256:… as recorded for the
# image, and the running container notebook was started from exactly that reference, on
# ~/analysis.
want=$(docker image inspect --format '{{join .RepoDigests "\n"}}' jupyter/scipy-notebook 2>/dev/null | grep '^jupyter/scipy-notebook@sha256:' | head -n 1)
if [ -z "$want" ]; then
  echo "jupyter/scipy-notebook has no digest here: docker pull jupyter/scipy-notebook. / jupyter/scipy-notebook n'a pas d'empreinte ici : docker pull jupyter/scipy-notebook."
  exit 1
fi
got=$(tr -d '[:space:]' < /root/analysis/image.txt 2>/dev/null)
if [ "$got" != "$want" ]; then
  echo "~/analysis/image.txt does not hold the digest reference of jupyter/scipy-notebook ($want): run the docker image inspect command from ~/analysis. / ~/analysis/image.txt ne contient pas la référence par empreinte de jupyter/scipy-notebook ($want) : lancez la commande docker image inspect depuis ~/analysis."
  exit 1
fi
if [ "$(docker inspect --format '{{.State.Running}}' notebook 2>/dev/null)" != true ]; then
  echo "No container named notebook is running: docker run -d --name notebook -p 8888:8888 -v \"\$PWD\":/home/jovyan/work \"\$(cat image.txt)\". / Aucun conteneur nommé notebook ne tourne : docker run -d --name notebook -p 8888:8888 -v \"\$PWD\":/home/jovyan/work \"\$(cat image.txt)\"."
  exit 1
fi
image=$(docker inspect --format '{{.Config.Image}}' notebook)
if [ "$image" != "$want" ]; then
  echo "notebook was started from $image, not from $want: remove it and start it with \"\$(cat image.txt)\" as the image. / notebook a été lancé depuis $image, pas depuis $want : supprimez-le et relancez-le avec \"\$(cat image.txt)\" comme image."
  exit 1
fi
work=$(docker inspect --format '{{range .Mounts}}{{if eq .Destination "/home/jovyan/work"}}{{.Source}}{{end}}{{end}}' notebook)
if [ "$work" != /root/analysis ]; then
  echo "notebook does not mount ~/analysis on /home/jovyan/work: run it from ~/analysis with -v \"\$PWD\":/home/jovyan/work. / notebook ne monte pas ~/analysis sur /home/jovyan/work : lancez-le depuis ~/analysis avec -v \"\$PWD\":/home/jovyan/work."
  exit 1
fi
