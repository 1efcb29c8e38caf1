#!/bin/bash
# Proxy benchmark (root), in the namespaces of scripts/test/engine-env.sh, QEMU TCG, test guest:
# bulk TCP throughput (256 MiB, RUNS times) to the guest's port 22 through the VM's host port
# (the forwarder's since 0.2.0, the daemon's before) and directly to the guest's address; and
# the threads of the daemon and of the forwarder with 10,000 idle connections held against the
# port (io.scalebox.loadtest.Flood from another address). BENCH_TARGET (default: this tree's) may be
# another build's target directory, e.g. the last release's, to compare.
# Usage: [BENCH_TARGET=…] scripts/bench/proxy.sh [RUNS]   (run `mvn -B package` first: it needs test-classes)
set -u
DEFAULT_RUNS=3
# shellcheck source=bench-env.sh
. "$(dirname "$0")/bench-env.sh"
trap engine_cleanup EXIT
engine_start || exit 1
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"bench\"}" >/dev/null
id=$(field .id); port=$(field .ssh_port)
wait_for 120 ssh_ready "$port" || { echo "no SSH"; exit 1; }
guest=$(jq -r .guest_address "$DATA/vms/$id/vm.json")
# Replace sshd by a sink on port 22 (the proxy only forwards to 22).
vmssh "$port" "sudo sh -c 'nohup sh -c \"sleep 1; pkill -x sshd; exec socat -u TCP-LISTEN:22,fork,reuseaddr OPEN:/dev/null\" >/dev/null 2>&1 &'"
sink_up() { hostns timeout 2 socat -u /dev/null "TCP:$guest:22"; }
wait_for 30 sink_up || { echo "no sink"; exit 1; }
thru() { # thru NS HOST PORT -> MB/s
    t0=$(ms)
    head -c 268435456 /dev/zero | ip netns exec "$1" socat -u - "TCP:$2:$3" 2>/dev/null
    echo "$((256 * 1000 / ($(ms) - t0 + 1)))"
}
via="" direct=""
for _ in $(seq 1 "$RUNS"); do
    via="$via $(thru "$CLIENT_NS" 192.0.2.1 "$port")"
    direct="$direct $(thru "$HOST_NS" "$guest" 22)"
done
echo "256 MiB to the guest's port 22: through the VM's port$via MB/s (median $(echo "$via" | median)); direct$direct MB/s (median $(echo "$direct" | median))"
threads() { awk '/^Threads:/{print $2}' /proc/"$1"/status; }
FWD=$(forwarders | head -n 1)
holders() { echo "daemon $(threads "$DAEMON_PID")${FWD:+, forwarder $(threads "$FWD")}"; }
before=$(holders)
ulimit -n 20000 2>/dev/null
ip -n "$CLIENT_NS" addr add 192.0.2.3/24 dev "sbe2e-c$$"
client "$TARGET/runtime/bin/java" -cp "$TARGET/test-classes" io.scalebox.loadtest.Flood idle 192.0.2.1 "$port" 10000 \
    192.0.2.3 20 >"$WORK/flood.txt" 2>&1 &
flood=$!
sleep 10
echo "threads: $before at rest; $(holders) with the flood held ($(tail -n 1 "$WORK/flood.txt"))"
wait "$flood"
grep '^flood' "$WORK/flood.txt"
