#!/bin/sh
# The official redis image's entry point, for Debian's redis-server: arguments that are
# options or a configuration file go to redis-server; without a configuration file,
# protected mode is off (redis has no password here, and other containers must reach it);
# redis-server runs as the user redis, owning /data.
set -e

case "$1" in
    -* | *.conf) set -- redis-server "$@" ;;
esac

if [ "$1" = redis-server ]; then
    shift
    case "${1:-}" in
        *.conf) conf=$1; shift; set -- redis-server "$conf" "$@" ;;
        *) set -- redis-server --protected-mode no "$@" ;;
    esac
    if [ "$(id -u)" = 0 ]; then
        find . \! -user redis -exec chown redis '{}' +
        exec setpriv --reuid=redis --regid=redis --init-groups "$@"
    fi
fi

exec "$@"
