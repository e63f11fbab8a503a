# Passes when ~/samples.csv, copied out of collector, holds the header and a sample.
f=/root/samples.csv
if [ ! -f "$f" ]; then
  echo "There is no ~/samples.csv yet: docker cp collector:/data/samples.csv ~/samples.csv. / Il n'y a pas encore de ~/samples.csv : docker cp collector:/data/samples.csv ~/samples.csv."
  exit 1
fi
if [ "$(head -n 1 "$f")" != "sample,temperature" ] || ! grep -qE '^[0-9]+,[0-9.]+$' "$f"; then
  echo "~/samples.csv is not the collector's file (a header line, then samples): copy it again with docker cp. / ~/samples.csv n'est pas le fichier du collecteur (une ligne d'en-tête, puis des mesures) : recopiez-le avec docker cp."
  exit 1
fi
