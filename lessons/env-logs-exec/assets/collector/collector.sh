#!/bin/sh
# A pretend data collector: it needs an API key for its (imaginary) data source, then
# records a sample every two seconds into /data/samples.csv and says so on its output.
echo "collector: starting, source is $SOURCE"
if [ -z "$API_KEY" ]; then
  echo "collector: error: the environment variable API_KEY is not set, cannot reach $SOURCE" >&2
  exit 3
fi
echo "collector: API key accepted (${#API_KEY} characters)"
mkdir -p /data
echo "sample,temperature" > /data/samples.csv
n=0
while true; do
  n=$((n + 1))
  value="$(( 12 + (n * 7) % 9 )).$(( (n * 3) % 10 ))"
  echo "$n,$value" >> /data/samples.csv
  echo "collector: sample $n from $SOURCE: $value"
  sleep 2
done
