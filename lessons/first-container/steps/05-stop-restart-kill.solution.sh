docker stop -t 1 napper
docker ps -a --filter name=napper
docker start napper
docker exec napper cat /note.txt
docker restart -t 1 napper
docker kill napper
docker ps -a --filter name=napper
