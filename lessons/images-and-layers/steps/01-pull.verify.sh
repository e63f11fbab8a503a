# Passes when both nginx:latest and nginx:1.22 are in the local image store.
for ref in nginx:latest nginx:1.22; do
  if ! docker image inspect "$ref" >/dev/null 2>&1; then
    echo "The image $ref is not here yet: run docker pull $ref. / L'image $ref n'est pas encore là : lancez docker pull $ref."
    exit 1
  fi
done
