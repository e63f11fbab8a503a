# Passes when the running registry stores into the volume registry-data and lists
# lab/greeter.
if [ "$(docker inspect --format '{{.State.Running}}' registry 2>/dev/null)" != true ]; then
  echo "No container named registry is running. / Aucun conteneur nommé registry ne tourne."
  exit 1
fi
mounts=$(docker inspect --format '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' registry)
case " $mounts" in
  *" registry-data:/var/lib/registry "*) ;;
  *) echo "The registry does not store into the volume registry-data: recreate it with -v registry-data:/var/lib/registry. / Le registre ne stocke pas dans le volume registry-data : recréez-le avec -v registry-data:/var/lib/registry."
     exit 1 ;;
esac
if ! curl -fs --max-time 3 http://127.0.0.1:5000/v2/_catalog | grep -q '"lab/greeter"'; then
  echo "The registry does not list lab/greeter: push it again with docker push localhost:5000/lab/greeter:1.0. / Le registre ne liste pas lab/greeter : poussez-le de nouveau avec docker push localhost:5000/lab/greeter:1.0."
  exit 1
fi
