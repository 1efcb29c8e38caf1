#!/bin/bash
# Startup benchmark of the packaged daemon under a real systemd (nspawn container):
# .deb size, install time, process start -> READY with /health 200 (with and without the CDS
# archive), idle RSS. Usage: scripts/bench/startup.sh [DEB] [RUNS]
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../test/lib.sh
. "$HERE/test/lib.sh"
# shellcheck source=../test/container.sh
. "$HERE/test/container.sh"
DEB=${1:-$(find "$HERE"/../target -maxdepth 1 -name 'scalebox_*_amd64.deb' | head -n 1)}
RUNS=${2:-5}
trap ct_stop EXIT
"$HERE/test/cache-images.sh" >/dev/null
ct_start "sbbench$$" || exit 1

t0=$(ms)
ct_install "$DEB" >/dev/null 2>&1 || exit 1
install_ms=$(($(ms) - t0))
ct_stop_base_build

series() { for _ in $(seq 1 "$RUNS"); do ct_start_ms; done | sort -n | tr '\n' ' '; }

with_cds=$(series)
sleep 10
pid=$(ct systemctl show -p MainPID --value scaleboxd)
rss_kib=$(ct awk '/VmRSS/{print $2}' /proc/"$pid"/status)
ct mv /var/cache/scalebox/scaleboxd.jsa /var/cache/scalebox/off.jsa
without_cds=$(series)
ct mv /var/cache/scalebox/off.jsa /var/cache/scalebox/scaleboxd.jsa

echo "deb:                 $(basename "$DEB") $(($(stat -c %s "$DEB") / 1024 / 1024)) MiB, installed $(ct du -sh /usr/lib/scalebox | cut -f1)"
echo "install (apt-get):   ${install_ms} ms (includes the CDS archive generation)"
echo "start->READY (/health 200), CDS: ${with_cds}ms (sorted, $RUNS runs)"
echo "start->READY (/health 200), no CDS: ${without_cds}ms"
echo "idle RSS after 10 s: $((rss_kib / 1024)) MiB"
