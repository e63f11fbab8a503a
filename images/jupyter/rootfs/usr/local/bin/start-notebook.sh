#!/bin/sh
# The notebook server, as the official images' start-notebook.sh starts it: arguments and
# NOTEBOOK_ARGS go to `jupyter notebook` (its settings are in /etc/jupyter).
# shellcheck disable=SC2086
exec jupyter notebook ${NOTEBOOK_ARGS:-} "$@"
