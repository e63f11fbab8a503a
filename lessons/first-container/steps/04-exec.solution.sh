docker exec napper ps
docker exec napper sh -c 'echo "napper was here" > /note.txt'
docker exec napper cat /note.txt
