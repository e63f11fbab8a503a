# Passes when the running container notebook serves ~/notebooks/summary.txt on port 8888.
if [ "$(docker inspect --format '{{.State.Running}}' notebook 2>/dev/null)" != true ]; then
  echo "No container named notebook is running: start it with the docker run command of this step. / Aucun conteneur nommé notebook ne tourne : démarrez-le avec la commande docker run de cette étape."
  exit 1
fi
if [ ! -s /root/notebooks/summary.txt ]; then
  echo "There is no ~/notebooks/summary.txt yet: docker exec notebook python analysis.py. / Il n'y a pas encore de ~/notebooks/summary.txt : docker exec notebook python analysis.py."
  exit 1
fi
if ! curl -fs --max-time 3 http://127.0.0.1:8888/summary.txt | cmp -s - /root/notebooks/summary.txt; then
  echo "localhost:8888/summary.txt does not answer with ~/notebooks/summary.txt: check the -p 8888:8888 and the -v of notebook. / localhost:8888/summary.txt ne renvoie pas ~/notebooks/summary.txt : vérifiez le -p 8888:8888 et le -v de notebook."
  exit 1
fi
