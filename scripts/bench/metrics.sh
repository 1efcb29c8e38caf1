#!/bin/bash
# Metrics benchmark (root), in the namespaces of scripts/test/engine-env.sh with QEMU TCG test
# guests: the cost of one GET /metrics with VMS running VMs, and the API's throughput
# (wrk -t2 -c32 -d10s on GET /vms) without and with a scrape every second, RUNS times each,
# alternating so that drift hits both alike.
# Usage: scripts/bench/metrics.sh [RUNS] [VMS]   (run `mvn -B package -DskipTests` first)
set -u
DEFAULT_RUNS=3
# shellcheck source=bench-env.sh
. "$(dirname "$0")/bench-env.sh"
VMS=${2:-3}
SCRAPER=""
trap '[ -z "$SCRAPER" ] || kill "$SCRAPER" 2>/dev/null; engine_cleanup' EXIT
engine_start || exit 1
ports=""
for i in $(seq 1 "$VMS"); do
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"m$i\"}" >/dev/null
    ports="$ports $(field .ssh_port)"
done
for p in $ports; do wait_for 120 ssh_ready "$p" || { echo "no SSH on $p"; exit 1; }; done
scrape_once() { client curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$API/metrics"; }
scrape_once >/dev/null # the first scrape loads the client library
times=""
for _ in $(seq 1 10); do times="$times $(scrape_once | awk '{printf "%.1f", $1 * 1000}')"; done
echo "GET /metrics with $VMS VMs, 10 scrapes:$times ms (median $(echo "$times" | median)); $(client curl -s -H "Authorization: Bearer $TOKEN" "$API/metrics" | wc -c) bytes"
rps() { client wrk -t2 -c32 -d10s -H "Authorization: Bearer $TOKEN" "$API/vms" | awk '/^Requests\/sec/ {printf "%d", $2}'; }
without="" with=""
for _ in $(seq 1 "$RUNS"); do
    without="$without $(rps)"
    (while :; do scrape_once >/dev/null; sleep 1; done) &
    SCRAPER=$!
    with="$with $(rps)"
    kill "$SCRAPER"; wait "$SCRAPER" 2>/dev/null; SCRAPER=""
done
echo "GET /vms req/s (wrk -t2 -c32 -d10s), without scrapes:$without (median $(echo "$without" | median)); with a scrape every second:$with (median $(echo "$with" | median))"
