# Passes when the volume notes holds a non-empty results.txt.
dir=$(docker volume inspect --format '{{.Mountpoint}}' notes 2>/dev/null)
if [ -z "$dir" ]; then
  echo "The volume notes is gone: create it again with docker volume create notes. / Le volume notes a disparu : recréez-le avec docker volume create notes."
  exit 1
fi
if [ ! -s "$dir/results.txt" ]; then
  echo "The volume notes holds no results.txt yet: write it from a container started with -v notes:/notes. / Le volume notes ne contient pas encore de results.txt : écrivez-le depuis un conteneur lancé avec -v notes:/notes."
  exit 1
fi
