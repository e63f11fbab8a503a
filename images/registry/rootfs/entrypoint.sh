#!/bin/sh
# The official registry image's entry point: a configuration file, a registry subcommand or
# an option goes to the registry; any other command runs as given.
set -e

case "$1" in
    *.yaml | *.yml) set -- registry serve "$@" ;;
    serve | garbage-collect | help | -*) set -- registry "$@" ;;
esac

exec "$@"
