# Passes when ~/wisewhale holds a Dockerfile FROM docker/whalesay with COPY and CMD, and
# a wisdom.txt of three lines or more.
dir=/root/wisewhale
if [ ! -f "$dir/Dockerfile" ]; then
  echo "There is no ~/wisewhale/Dockerfile yet. / Il n'y a pas encore de ~/wisewhale/Dockerfile."
  exit 1
fi
first=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$dir/Dockerfile" | head -n 1)
if ! echo "$first" | grep -qiE '^[[:space:]]*FROM[[:space:]]+docker/whalesay'; then
  echo "The Dockerfile must start with FROM docker/whalesay:latest. / Le Dockerfile doit commencer par FROM docker/whalesay:latest."
  exit 1
fi
for instruction in COPY CMD; do
  if ! grep -qiE "^[[:space:]]*$instruction[[:space:]]" "$dir/Dockerfile"; then
    echo "The Dockerfile has no $instruction instruction. / Le Dockerfile n'a pas d'instruction $instruction."
    exit 1
  fi
done
if [ "$(grep -c . "$dir/wisdom.txt" 2>/dev/null)" -lt 3 ] 2>/dev/null || [ ! -f "$dir/wisdom.txt" ]; then
  echo "~/wisewhale/wisdom.txt needs at least three sayings, one a line. / ~/wisewhale/wisdom.txt doit contenir au moins trois maximes, une par ligne."
  exit 1
fi
