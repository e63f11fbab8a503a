docker run -d --name logger -v notes:/notes busybox sh -c 'while true; do date >> /notes/clock.log; sleep 1; done'
sleep 3
docker rm -f logger
docker run --rm -v notes:/notes busybox sh -c 'ls -l /notes; tail -n 3 /notes/clock.log'
