#!/bin/bash
# API benchmark of the packaged daemon under a real systemd (nspawn container, private
# network): the .deb installed, 4 templates and 20 (stopped) VMs recorded, then wrk
# (-t2 -c32 -d10s, from this host's wrk inside the container's network namespace) on
# /health, /templates, /vms and /info: req/s, p50 and p99, RUNS times each; start ->
# READY, when /health answers (systemd's clock, 10 times, median); idle RSS 10 s after
# a start; peak RSS during the /vms runs.
# Usage: scripts/bench/api.sh [DEB] [RUNS]
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../test/lib.sh
. "$HERE/test/lib.sh"
# shellcheck source=../test/container.sh
. "$HERE/test/container.sh"
DEB=${1:-$(find "$HERE"/../target -maxdepth 1 -name 'scalebox_*_amd64.deb' | head -n 1)}
RUNS=${2:-3}
trap ct_stop EXIT
"$HERE/test/cache-images.sh" >/dev/null
ct_start "sbapi$$" || exit 1
cp "$DEB" "$CT_ROOT/root/s.deb"
ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /root/s.deb >/dev/null 2>&1 || exit 1
TOKEN=$(ct sed -n 's/^API_TOKEN=//p' /etc/scalebox/config)

# The data: 4 templates (sparse) and 20 stopped VMs, recorded as the daemon records them.
ct systemctl stop scaleboxd
ct sh -c 'for t in alpine-ci build-env python-dev node-dev; do truncate -s 2G /var/lib/scalebox/templates/$t.ext4; done'
for i in $(seq 1 20); do
    id=$(printf 'vm-%012x' "$((0xbe0000 + i))")
    ct mkdir -p "/var/lib/scalebox/vms/$id"
    printf '{"version":2,"id":"%s","name":"bench-%d","template":"build-env","guest_address":"172.16.0.%d","tap":"sbx%s","mac":"02:be:00:00:00:%02x","ssh_port":%d,"vcpu_count":2,"mem_size_mib":2048,"disk_size_gib":10,"created_at_millis":%d,"hypervisor":"qemu","kernel_version":null,"process":null}\n' \
        "$id" "$i" "$((i + 1))" "$(echo "$id" | cut -c4-13)" "$i" "$((22000 + i))" "$((1796000000000 + i))" \
        >"$CT_ROOT/var/lib/scalebox/vms/$id/vm.json"
done
ct systemctl start scaleboxd
healthy() { [ "$(ct curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/health)" = 200 ]; }
wait_for 30 healthy || { echo "daemon did not start"; ct journalctl -u scaleboxd --no-pager | tail; exit 1; }
[ "$(ct curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/vms | jq '.vms | length')" = 20 ] || { echo "20 VMs not recorded"; exit 1; }

starts=$(for _ in $(seq 1 10); do ct_start_ms; done | tr '\n' ' ')
sleep 10
pid=$(ct systemctl show -p MainPID --value scaleboxd)
rss() { ct awk '/VmRSS/{print int($2 / 1024)}' /proc/"$pid"/status; }
idle_rss=$(rss)

# The daemon's CPU time so far, in clock ticks (all its threads).
cpu_ticks() { ct awk '{print $14 + $15}' /proc/"$pid"/stat; }
# wrk_once PATH -> "REQ/S P50 P99 CPU_US" (latencies in ms; the daemon's CPU µs per request)
wrk_once() {
    local before out
    before=$(cpu_ticks)
    out=$(nsenter -t "$CT_PID" -n wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8080$1")
    echo "$out" | awk -v ticks="$(($(cpu_ticks) - before))" -v hz="$(getconf CLK_TCK)" \
            'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
             /^Requests\/sec/ { r = int($2) } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
             /Non-2xx/ { bad = $NF } END { printf "%d %.2f %.2f %.1f%s\n", r, p50, p99, ticks / hz * 1e6 / (r * 10), bad ? " non-2xx:" bad : "" }'
}
peak=$idle_rss
for path in /health /templates /vms /info; do
    rates="" p50s="" p99s="" cpus="" notes=""
    for _ in $(seq 1 "$RUNS"); do
        # shellcheck disable=SC2046 # four numbers (and a note) become $1..$5
        set -- $(wrk_once "$path")
        rates="$rates $1"; p50s="$p50s $2"; p99s="$p99s $3"; cpus="$cpus $4"; notes="$notes ${5:-}"
        now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
    done
    printf '%-11s req/s:%s (median %s)  p50 ms:%s  p99 ms:%s (median %s)  daemon CPU µs/request:%s%s\n' "$path" "$rates" \
        "$(echo "$rates" | median)" "$p50s" "$p99s" "$(echo "$p99s" | median)" "$cpus" "$(echo "$notes" | tr -s ' ')"
done
echo "process start -> READY, /health 200 (10 runs): ${starts}ms (median $(echo "$starts" | median))"
echo "RSS: idle 10 s after start ${idle_rss} MiB; peak during the runs above ${peak} MiB"
