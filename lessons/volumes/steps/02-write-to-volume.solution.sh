docker run --rm -v notes:/notes busybox sh -c 'echo "experiment 1: accuracy 0.87" >> /notes/results.txt'
docker run --rm -v notes:/notes busybox cat /notes/results.txt
docker run --rm -v notes:/notes busybox sh -c 'echo "experiment 2: accuracy 0.91" >> /notes/results.txt'
docker run --rm -v notes:/notes busybox cat /notes/results.txt
