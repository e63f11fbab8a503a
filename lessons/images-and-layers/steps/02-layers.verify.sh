# Passes when ~/layers.txt holds the number of file system layers of nginx.
want=$(docker image inspect --format '{{len .RootFS.Layers}}' nginx 2>/dev/null)
got=$(cat /root/layers.txt 2>/dev/null | tr -d '[:space:]')
if [ -z "$got" ]; then
  echo "~/layers.txt is missing or empty: count the layers of nginx into it. / ~/layers.txt est absent ou vide : écrivez-y le nombre de couches de nginx."
  exit 1
fi
if [ "$got" != "$want" ]; then
  echo "~/layers.txt says $got, but nginx has another number of layers: run the docker image inspect command again. / ~/layers.txt indique $got, mais nginx a un autre nombre de couches : relancez la commande docker image inspect."
  exit 1
fi
