# Passes when /note.txt inside the running container napper says napper was here.
if ! docker exec napper cat /note.txt 2>/dev/null | grep -q "napper was here"; then
  echo "No /note.txt saying 'napper was here' inside napper: write it with docker exec. / Pas de /note.txt contenant « napper was here » dans napper : écrivez-le avec docker exec."
  exit 1
fi
