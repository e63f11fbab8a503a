# Passes when ~/analysis.ref names localhost:5000/analysis by digest, the registry serves
# that manifest, and the image is on this machine.
ref=$(cat /root/analysis.ref 2>/dev/null | tr -d '[:space:]')
case "$ref" in
  localhost:5000/analysis@sha256:*) ;;
  *) echo "~/analysis.ref does not hold localhost:5000/analysis@sha256:...: push the image, then run the docker image inspect command. / ~/analysis.ref ne contient pas localhost:5000/analysis@sha256:... : poussez l'image, puis lancez la commande docker image inspect."
     exit 1 ;;
esac
digest=${ref#*@}
if ! curl -fs --max-time 3 -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://127.0.0.1:5000/v2/analysis/manifests/$digest"; then
  echo "The registry on localhost:5000 does not hold $digest: is it running, and did the push work? / Le registre sur localhost:5000 ne contient pas $digest : tourne-t-il, et l'envoi a-t-il réussi ?"
  exit 1
fi
if ! docker image inspect "$ref" >/dev/null 2>&1; then
  echo "The image $ref is not on this machine: docker pull \$(cat ~/analysis.ref). / L'image $ref n'est pas sur cette machine : docker pull \$(cat ~/analysis.ref)."
  exit 1
fi
