#!/bin/sh
# Builds the .deb from this checkout and installs it (root, Debian 12 or newer):
# scaleboxd is running and enabled when this returns.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
mvn -B -q clean package -DskipTests
deb=$(ls target/scalebox_*_amd64.deb)
DEBIAN_FRONTEND=noninteractive apt-get install -y "./$deb"
echo "scalebox: installed $deb; try: curl -s localhost:\$(sed -n 's/^API_PORT=//p' /etc/scalebox/config)/health"
