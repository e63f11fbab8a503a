# Passes when ~/project/mean.txt holds the mean of the value column of measurements.csv.
dir=/root/project
if [ ! -f "$dir/measurements.csv" ]; then
  echo "There is no ~/project/measurements.csv yet: create it first. / Il n'y a pas encore de ~/project/measurements.csv : créez-le d'abord."
  exit 1
fi
if [ ! -s "$dir/mean.txt" ]; then
  echo "There is no ~/project/mean.txt yet: run the container with -v \"\$PWD\":/work from ~/project. / Il n'y a pas encore de ~/project/mean.txt : lancez le conteneur avec -v \"\$PWD\":/work depuis ~/project."
  exit 1
fi
want=$(awk -F, 'NR > 1 { sum += $2; n++ } END { if (n) printf "%.2f\n", sum / n }' "$dir/measurements.csv")
got=$(tr -d '[:space:]' < "$dir/mean.txt")
if [ "$got" != "$want" ]; then
  echo "mean.txt says $got but the mean of measurements.csv is $want: run the container again. / mean.txt indique $got, mais la moyenne de measurements.csv vaut $want : relancez le conteneur."
  exit 1
fi
