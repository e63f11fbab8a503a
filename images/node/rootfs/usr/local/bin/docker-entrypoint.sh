#!/bin/sh
# The node image's entry point: a command that is an option (`--version`), a file that is
# not executable (`app.js`) or no command on the PATH (`-e`, `app.js`) runs in node; any
# other command (`npm start`, `bash`) runs as it is.
set -e

if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" || true)" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
    set -- node "$@"
fi
exec "$@"
