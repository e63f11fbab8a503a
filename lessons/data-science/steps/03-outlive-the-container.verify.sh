# Passes when the first container is gone and a new one, notebook-2, runs on ~/analysis and
# sees the notebook saved there.
if docker inspect notebook >/dev/null 2>&1; then
  echo "The container notebook still exists: remove it with docker rm -f notebook. / Le conteneur notebook existe encore : supprimez-le avec docker rm -f notebook."
  exit 1
fi
if [ "$(docker inspect --format '{{.State.Running}}' notebook-2 2>/dev/null)" != true ]; then
  echo "No container named notebook-2 is running: start it from ~/analysis with docker run -d --name notebook-2 -p 8888:8888 -v \"\$PWD\":/home/jovyan/work jupyter/scipy-notebook. / Aucun conteneur nommé notebook-2 ne tourne : lancez-le depuis ~/analysis avec docker run -d --name notebook-2 -p 8888:8888 -v \"\$PWD\":/home/jovyan/work jupyter/scipy-notebook."
  exit 1
fi
work=$(docker inspect --format '{{range .Mounts}}{{if eq .Destination "/home/jovyan/work"}}{{.Source}}{{end}}{{end}}' notebook-2)
if [ "$work" != /root/analysis ]; then
  echo "notebook-2 does not mount ~/analysis on /home/jovyan/work: run it from ~/analysis with -v \"\$PWD\":/home/jovyan/work. / notebook-2 ne monte pas ~/analysis sur /home/jovyan/work : lancez-le depuis ~/analysis avec -v \"\$PWD\":/home/jovyan/work."
  exit 1
fi
if ! docker exec notebook-2 sh -c 'ls /home/jovyan/work/*.ipynb' >/dev/null 2>&1; then
  echo "notebook-2 sees no notebook in /home/jovyan/work: is your notebook still in ~/analysis? / notebook-2 ne voit aucun notebook dans /home/jovyan/work : votre notebook est-il toujours dans ~/analysis ?"
  exit 1
fi
