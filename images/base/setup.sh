#!/bin/bash
# Runs inside the freshly bootstrapped root file system (chroot) after the files of
# rootfs/ have been copied over it. It finishes the image: package sources, security
# updates, hostname, and removes what a playground does not need so the image stays small.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8

# Package sources so users can `apt-get install` inside a session.
cat > /etc/apt/sources.list <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES

apt-get -qq update
apt-get -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade
apt-get -y -qq autoremove --purge
apt-get clean

echo node1 > /etc/hostname
# The login shell of a session: bash with the prompt of rootfs/etc/bash.bashrc.
chsh -s /bin/bash root

# Keep the image small: docs, man pages, locales other than C.UTF-8, caches, logs.
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/lintian/* \
       /usr/share/locale/* /var/cache/debconf/*-old /var/lib/apt/lists/* \
       /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/*.log /var/log/apt/* \
       /tmp/* /root/.cache
find /usr/lib/python3* -name __pycache__ -type d -prune -exec rm -rf {} +
: > /etc/machine-id
