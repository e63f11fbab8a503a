# Passes when ~/analysis-1.0.tar is a docker save archive of analysis:1.0 and analysis:1.0
# on this machine is the image it holds.
f=/root/analysis-1.0.tar
manifest=$(tar -xOf "$f" manifest.json 2>/dev/null)
if [ -z "$manifest" ]; then
  echo "~/analysis-1.0.tar is missing or is not a docker save archive: docker save -o ~/analysis-1.0.tar analysis:1.0. / ~/analysis-1.0.tar est absent ou n'est pas une archive docker save : docker save -o ~/analysis-1.0.tar analysis:1.0."
  exit 1
fi
if ! echo "$manifest" | grep -q '"analysis:1.0"'; then
  echo "The archive does not hold the tag analysis:1.0: save the image by that name. / L'archive ne contient pas le tag analysis:1.0 : enregistrez l'image sous ce nom."
  exit 1
fi
config=$(echo "$manifest" | grep -o '"Config":"[^"]*"' | head -n 1 | sed 's/"Config":"//; s/"$//; s/\.json$//; s/^blobs\/sha256\///')
id=$(docker image inspect --format '{{.Id}}' analysis:1.0 2>/dev/null)
if [ -z "$id" ]; then
  echo "There is no image analysis:1.0 on this machine: docker load -i ~/analysis-1.0.tar. / Il n'y a pas d'image analysis:1.0 sur cette machine : docker load -i ~/analysis-1.0.tar."
  exit 1
fi
if [ "$id" != "sha256:$config" ]; then
  echo "analysis:1.0 is not the image saved in the archive: load it with docker load -i ~/analysis-1.0.tar. / analysis:1.0 n'est pas l'image enregistrée dans l'archive : chargez-la avec docker load -i ~/analysis-1.0.tar."
  exit 1
fi
