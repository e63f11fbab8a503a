docker history nginx
docker image inspect --format '{{len .RootFS.Layers}}' nginx | tee ~/layers.txt
