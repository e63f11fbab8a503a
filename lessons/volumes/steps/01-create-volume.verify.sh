# Passes when a volume named notes exists.
if ! docker volume inspect notes >/dev/null 2>&1; then
  echo "There is no volume named notes: docker volume create notes. / Il n'y a pas de volume nommé notes : docker volume create notes."
  exit 1
fi
