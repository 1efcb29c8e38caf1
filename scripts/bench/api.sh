#!/bin/bash
# API benchmark of the packaged daemon under a real systemd (nspawn container, private
# network): the .deb installed, 4 templates and 20 (stopped) VMs recorded, then wrk
# (-t2 -c32 -d10s, from this host's wrk inside the container's network namespace) on
# /health, /templates, /vms and /info after a 3 s warm-up: req/s, p50, p99 and the
# daemon's CPU time per request; process start -> READY, when /health answers
# (systemd's clock, 10 starts); idle RSS 10 s after a start; peak RSS during the runs.
# With BASELINE (another .deb, e.g. the previous release), that package's daemon runs in
# the same container on the same data, and the two alternate start by start and run by
# run: machine-wide drift hits both alike. With PEER_DIR and PEER_BUN in the environment, the
# earlier Scalebox daemon (its checkout, dependencies installed, in PEER_DIR; started with
# `PEER_BUN run src/index.ts` on port 8090, the same token and DATA_DIR) is a third variant,
# measured the same way (its /vms lists only VMs it made itself: left out). Start times are
# then also taken the peer's way for both: from `systemctl start` to the first /health 200,
# polled every 20 ms.
# Usage: [PEER_DIR=… PEER_BUN=…] scripts/bench/api.sh [DEB] [RUNS] [BASELINE_DEB]
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../test/lib.sh
. "$HERE/test/lib.sh"
# shellcheck source=../test/container.sh
. "$HERE/test/container.sh"
DEB=${1:-$(find "$HERE"/../target -maxdepth 1 -name 'scalebox_*_amd64.deb' | head -n 1)}
RUNS=${2:-3}
BASELINE=${3:-}
trap ct_stop EXIT
"$HERE/test/cache-images.sh" >/dev/null
ct_start "sbapi$$" || exit 1
ct_install "$DEB" >/dev/null 2>&1 || exit 1
ct_stop_base_build
TOKEN=$(ct sed -n 's/^API_TOKEN=//p' /etc/scalebox/config)
ct cp /usr/sbin/scaleboxd /root/scaleboxd.new
variants=new
if [ -n "$BASELINE" ]; then
    # The baseline's files under /opt/base (readable by the forwarder's account), its launcher
    # pointed there, its own CDS archive.
    dpkg-deb -x "$BASELINE" "$CT_ROOT/opt/base"
    sed -e 's#/usr/lib/scalebox/#/opt/base/usr/lib/scalebox/#g' -e 's#/var/cache/scalebox/#/opt/base/#g' \
        "$CT_ROOT/opt/base/usr/sbin/scaleboxd" >"$CT_ROOT/root/scaleboxd.base"
    chmod 0755 "$CT_ROOT/root/scaleboxd.base"
    ct env SCALEBOX_CDS_OPTS="-Xshare:off -XX:DumpLoadedClassList=/opt/base/classes.lst" \
        /root/scaleboxd.base --self-test >/dev/null 2>&1 || { echo "baseline self-test failed"; exit 1; }
    ct env SCALEBOX_CDS_OPTS="-Xshare:dump -XX:SharedClassListFile=/opt/base/classes.lst -XX:SharedArchiveFile=/opt/base/scaleboxd.jsa" \
        /root/scaleboxd.base >/dev/null 2>&1
    variants="base new"
fi
if [ -n "${PEER_DIR:-}" ]; then
    mkdir -p "$CT_ROOT/root/peer"
    cp -a "$PEER_DIR" "$CT_ROOT/root/peer/app"
    cp "$PEER_BUN" "$CT_ROOT/root/peer/bun"
    variants="$variants peer"
fi
use() { [ "$1" = peer ] || ct cp "/root/scaleboxd.$1" /usr/sbin/scaleboxd; }
port_of() { if [ "$1" = peer ]; then echo 8090; else echo 8080; fi; }
paths_of() { if [ "$1" = peer ]; then echo /health /templates /info; else echo /health /templates /vms /info; fi; }
# peer_start: the earlier daemon afresh in a unit of its own; prints ms from the start to /health 200.
peer_start() {
    ct systemctl stop sbpeer.service 2>/dev/null
    ct systemctl reset-failed sbpeer.service 2>/dev/null
    ct sh -c "t0=\$(date +%s%3N); systemd-run --quiet --unit=sbpeer --working-directory=/root/peer/app \
        -p Environment=API_PORT=8090 -p Environment=API_TOKEN=$TOKEN -p Environment=HOST_IP=192.0.2.10 \
        -p Environment=DATA_DIR=/var/lib/scalebox /root/peer/bun run src/index.ts
        for _ in \$(seq 1 500); do curl -sf -o /dev/null http://127.0.0.1:8090/health && break; sleep 0.02; done
        echo \$((\$(date +%s%3N) - t0))"
}
# polled_start: our daemon the same way (systemctl start, then /health polled every 20 ms).
polled_start() {
    ct systemctl stop scaleboxd 2>/dev/null
    ct systemctl reset-failed scaleboxd 2>/dev/null
    ct sh -c 't0=$(date +%s%3N); systemctl --no-block start scaleboxd
        for _ in $(seq 1 500); do curl -sf -o /dev/null http://127.0.0.1:8080/health && break; sleep 0.02; done
        echo $(($(date +%s%3N) - t0))'
}

# The data: 4 templates (sparse) and 20 stopped VMs, recorded as the daemon records them.
ct systemctl stop scaleboxd 2>/dev/null
ct sh -c 'for t in alpine-ci build-env python-dev node-dev; do truncate -s 2G /var/lib/scalebox/templates/$t.ext4; done'
for i in $(seq 1 20); do
    id=$(printf 'vm-%012x' "$((0xbe0000 + i))")
    ct mkdir -p "/var/lib/scalebox/vms/$id"
    printf '{"version":2,"id":"%s","name":"bench-%d","template":"build-env","guest_address":"172.16.0.%d","tap":"sbx%s","mac":"02:be:00:00:00:%02x","ssh_port":%d,"vcpu_count":2,"mem_size_mib":2048,"disk_size_gib":10,"created_at_millis":%d,"hypervisor":"qemu","kernel_version":null,"process":null}\n' \
        "$id" "$i" "$((i + 1))" "$(echo "$id" | cut -c4-13)" "$i" "$((22000 + i))" "$((1796000000000 + i))" \
        >"$CT_ROOT/var/lib/scalebox/vms/$id/vm.json"
done
for v in $variants; do
    use "$v"
    if [ "$v" = peer ]; then
        peer_start >/dev/null
        [ "$(ct curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8090/templates)" = 200 ] ||
            { echo "peer: did not start"; ct journalctl -u sbpeer --no-pager | tail; exit 1; }
        continue
    fi
    ct_start_ms >/dev/null || { echo "$v: daemon did not start"; ct journalctl -u scaleboxd --no-pager | tail; exit 1; }
    [ "$(ct curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/vms | jq '.vms | length')" = 20 ] ||
        { echo "$v: 20 VMs not recorded"; exit 1; }
done

declare -A starts polled rates p50s p99s cpus notes idle peak
for _ in $(seq 1 10); do
    for v in $variants; do
        use "$v"
        if [ "$v" = peer ]; then
            polled[$v]="${polled[$v]:-} $(peer_start)"
        else
            starts[$v]="${starts[$v]:-} $(ct_start_ms)"
            [ -z "${PEER_DIR:-}" ] || polled[$v]="${polled[$v]:-} $(polled_start)"
        fi
    done
done

rss() { ct awk '/VmRSS/{print int($2 / 1024)}' /proc/"$pid"/status; }
# The daemon's CPU time so far, in clock ticks (all its threads).
cpu_ticks() { ct awk '{print $14 + $15}' /proc/"$pid"/stat; }
# wrk_once PATH -> "REQ/S P50 P99 CPU_US" (latencies in ms; the daemon's CPU µs per request)
wrk_once() {
    local before out
    before=$(cpu_ticks)
    out=$(nsenter -t "$CT_PID" -n wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port$1")
    echo "$out" | awk -v ticks="$(($(cpu_ticks) - before))" -v hz="$(getconf CLK_TCK)" \
            'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
             /^Requests\/sec/ { r = int($2) } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
             /Non-2xx/ { bad = $NF } END { printf "%d %.2f %.2f %.1f%s\n", r, p50, p99, ticks / hz * 1e6 / (r * 10), bad ? " non-2xx:" bad : "" }'
}
# Each round starts each variant afresh: idle RSS 10 s after that start, then every path.
for _ in $(seq 1 "$RUNS"); do
    for v in $variants; do
        use "$v"
        port=$(port_of "$v")
        if [ "$v" = peer ]; then peer_start >/dev/null; unit=sbpeer; else ct_start_ms >/dev/null; unit=scaleboxd; fi
        sleep 10
        pid=$(ct systemctl show -p MainPID --value "$unit")
        idle[$v]="${idle[$v]:-} $(rss)"
        for path in $(paths_of "$v"); do
            # Warm-up, not counted: the first seconds of a path run its code before it is compiled.
            nsenter -t "$CT_PID" -n wrk -t2 -c32 -d3s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port$path" >/dev/null
            # shellcheck disable=SC2046 # four numbers (and a note) become $1..$5
            set -- $(wrk_once "$path")
            k="$v $path"
            rates[$k]="${rates[$k]:-} $1"; p50s[$k]="${p50s[$k]:-} $2"; p99s[$k]="${p99s[$k]:-} $3"
            cpus[$k]="${cpus[$k]:-} $4"; notes[$k]="${notes[$k]:-} ${5:-}"
        done
        now=$(rss); [ "$now" -gt "${peak[$v]:-0}" ] && peak[$v]=$now
    done
done
for v in $variants; do
    case $v in
        new) echo "== $(basename "$DEB")" ;;
        base) echo "== baseline $(basename "$BASELINE")" ;;
        peer) echo "== the earlier daemon (bun $("$PEER_BUN" --version), $PEER_DIR)" ;;
    esac
    for path in $(paths_of "$v"); do
        k="$v $path"
        printf '%-11s req/s:%s (median %s)  p50 ms:%s  p99 ms:%s (median %s)  daemon CPU µs/request:%s%s\n' "$path" \
            "${rates[$k]}" "$(echo "${rates[$k]}" | median)" "${p50s[$k]}" "${p99s[$k]}" "$(echo "${p99s[$k]}" | median)" \
            "${cpus[$k]}" "$(echo "${notes[$k]}" | tr -s ' ')"
    done
    [ -z "${starts[$v]:-}" ] ||
        echo "process start -> READY, /health 200 (10 runs):${starts[$v]} ms (median $(echo "${starts[$v]}" | median))"
    [ -z "${polled[$v]:-}" ] ||
        echo "systemctl start -> first /health 200, polled every 20 ms (10 runs):${polled[$v]} ms (median $(echo "${polled[$v]}" | median))"
    echo "RSS: idle 10 s after a start${idle[$v]} MiB; peak after the runs ${peak[$v]} MiB"
done
