cd ~/wisewhale
echo "Rebuild often: the cache makes it cheap." >> wisdom.txt
docker build -t wisewhale:2 .
docker image ls wisewhale
docker run --rm wisewhale:2 cowsay "I can still say anything you like."
docker run --rm wisewhale:2 wc -l /wisdom.txt
