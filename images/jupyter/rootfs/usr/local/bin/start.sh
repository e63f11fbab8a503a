#!/bin/sh
# Runs the command as jovyan (uid 1000, group users), with HOME=/home/jovyan, as the
# official images do. When started as root (this image's default), it first looks at
# /home/jovyan/work: a folder mounted there from the host (`-v "$PWD":/home/jovyan/work`)
# that jovyan may not write to makes the command run with that folder's owner's uid, so
# that notebooks saved there belong to whoever owns the folder (with rootless Docker, the
# folder's owner is root in the container, which is the user running Docker outside). A
# container started with --user runs the command as that user, unchanged.
set -e
if [ "$(id -u)" != 0 ]; then
    exec "$@"
fi
uid=1000
gid=100
work=/home/jovyan/work
if [ -d "$work" ] && ! setpriv --reuid=1000 --regid=100 --clear-groups test -w "$work"; then
    uid=$(stat -c %u "$work")
    gid=$(stat -c %g "$work")
    echo "start.sh: $work belongs to uid $uid and jovyan may not write to it: running as uid $uid" >&2
    if [ "$uid" != 0 ] && [ "$uid" != 1000 ]; then
        find /home/jovyan -path "$work" -prune -o \! -user "$uid" -exec chown "$uid:$gid" '{}' +
    fi
fi
export HOME=/home/jovyan USER=jovyan LOGNAME=jovyan
if [ "$uid" = 1000 ]; then
    exec setpriv --reuid=1000 --regid=100 --init-groups "$@"
fi
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
