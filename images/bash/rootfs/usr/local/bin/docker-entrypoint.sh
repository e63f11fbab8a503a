#!/bin/bash
# The bash image's entry point: no command, or options first (`-c 'echo hi'`), runs bash
# with them; a bash builtin (`echo hi`, `type ls`) runs inside bash; a script that is not
# executable (`docker run -v "$PWD":/w bash /w/run.sh`) is read by bash; anything else runs
# as it is.
set -euo pipefail

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    exec bash "$@"
fi
if [ "$(type -t -- "$1" 2>/dev/null)" = builtin ]; then
    exec bash -c '"$@"' -- "$@"
fi
if [ -f "$1" ] && [ ! -x "$1" ]; then
    exec bash "$@"
fi
exec "$@"
