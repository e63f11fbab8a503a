# Passes when the running container notebook publishes Jupyter's port 8888 on port 8888,
# mounts ~/analysis on /home/jovyan/work, and the notebook server answers.
if [ "$(docker inspect --format '{{.State.Running}}' notebook 2>/dev/null)" != true ]; then
  echo "No container named notebook is running: docker run -d --name notebook -p 8888:8888 -v \"\$PWD\":/home/jovyan/work jupyter/scipy-notebook. / Aucun conteneur nommé notebook ne tourne : docker run -d --name notebook -p 8888:8888 -v \"\$PWD\":/home/jovyan/work jupyter/scipy-notebook."
  exit 1
fi
if ! docker port notebook 8888/tcp 2>/dev/null | grep -q ':8888$'; then
  echo "notebook does not publish its port 8888 on 8888: recreate it with -p 8888:8888. / notebook ne publie pas son port 8888 sur 8888 : recréez-le avec -p 8888:8888."
  exit 1
fi
work=$(docker inspect --format '{{range .Mounts}}{{if eq .Destination "/home/jovyan/work"}}{{.Source}}{{end}}{{end}}' notebook)
if [ "$work" != /root/analysis ]; then
  echo "notebook does not mount ~/analysis on /home/jovyan/work (it mounts '${work:-nothing}' there): run it from ~/analysis with -v \"\$PWD\":/home/jovyan/work. / notebook ne monte pas ~/analysis sur /home/jovyan/work (il y monte '${work:-rien}') : lancez-le depuis ~/analysis avec -v \"\$PWD\":/home/jovyan/work."
  exit 1
fi
if ! curl -fs --max-time 3 http://127.0.0.1:8888/login | grep -q Jupyter; then
  echo "Jupyter does not answer on localhost:8888 yet: wait until docker logs notebook shows its address. / Jupyter ne répond pas encore sur localhost:8888 : attendez que docker logs notebook montre son adresse."
  exit 1
fi
