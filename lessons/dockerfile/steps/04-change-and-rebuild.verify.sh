# Passes when wisewhale:2 exists, is another image than wisewhale:latest, and holds more
# sayings than it.
two=$(docker image inspect --format '{{.Id}}' wisewhale:2 2>/dev/null)
one=$(docker image inspect --format '{{.Id}}' wisewhale:latest 2>/dev/null)
if [ -z "$two" ]; then
  echo "There is no image wisewhale:2 yet: docker build -t wisewhale:2 ~/wisewhale. / Il n'y a pas encore d'image wisewhale:2 : docker build -t wisewhale:2 ~/wisewhale."
  exit 1
fi
if [ "$two" = "$one" ]; then
  echo "wisewhale:2 is the same image as wisewhale:latest: add a saying to wisdom.txt, then build again. / wisewhale:2 est la même image que wisewhale:latest : ajoutez une maxime à wisdom.txt, puis reconstruisez."
  exit 1
fi
n2=$(docker run --rm wisewhale:2 sh -c 'grep -c . /wisdom.txt' 2>/dev/null)
n1=$(docker run --rm wisewhale:latest sh -c 'grep -c . /wisdom.txt' 2>/dev/null)
if [ "${n2:-0}" -le "${n1:-0}" ]; then
  echo "wisewhale:2 knows no more sayings than wisewhale:latest: add a line to wisdom.txt, then build again. / wisewhale:2 ne connaît pas plus de maximes que wisewhale:latest : ajoutez une ligne à wisdom.txt, puis reconstruisez."
  exit 1
fi
