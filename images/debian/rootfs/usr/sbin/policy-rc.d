#!/bin/sh
# As in the official Debian images: packages installed in a container do not start services.
exit 101
