#!/bin/bash
# Runs inside the bootstrapped root file system (chroot) after rootfs/ was copied over it:
# package sources as the official image has them, security updates, then everything a
# container does not need (docs, man pages, package lists, caches, logs) goes.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8

rm -f /etc/apt/sources.list
cat > /etc/apt/sources.list.d/debian.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

apt-get -qq update
apt-get -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade
apt-get -y -qq autoremove --purge
apt-get clean

# debootstrap copied the build machine's name; Docker names each container anyway.
echo localhost > /etc/hostname

# What rootfs/etc/dpkg/dpkg.cfg.d/01-quai-slim keeps out of later installs, out of this one.
find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian/* /usr/share/linda/* \
       /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
       /var/cache/debconf/*-old /var/log/*.log /var/log/apt/* /tmp/* /root/.cache
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
