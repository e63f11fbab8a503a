# Passes when analysis:1.1 exists and is another image than analysis:1.0.
new=$(docker image inspect --format '{{.Id}}' analysis:1.1 2>/dev/null)
old=$(docker image inspect --format '{{.Id}}' analysis:1.0 2>/dev/null)
if [ -z "$new" ]; then
  echo "There is no image analysis:1.1 yet: docker build --no-cache -t analysis:1.1 . in ~/analysis. / Il n'y a pas encore d'image analysis:1.1 : docker build --no-cache -t analysis:1.1 . dans ~/analysis."
  exit 1
fi
if [ "$new" = "$old" ]; then
  echo "analysis:1.1 is the same image as analysis:1.0: build it again with --no-cache. / analysis:1.1 est la même image qu'analysis:1.0 : reconstruisez-la avec --no-cache."
  exit 1
fi
