#!/bin/bash
# Load test (issue: 200 concurrent API clients for DURATION seconds while VMs are created
# and deleted): zero 5xx, every answer 2xx, nothing leaked (VM footprint, daemon threads
# and file descriptors back to their level). In the namespaces of engine-env.sh; wrk is
# the client. Prints the figures recorded in docs/benchmarks.md.
# Usage: load.sh TARGET_DIR [DURATION_SECONDS]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
DURATION=${2:-60}
. "$HERE/engine-env.sh"
trap 'engine_stop; rm -rf "$WORK"' EXIT
engine_start || exit 1

fds() { find /proc/"$DAEMON_PID"/fd -mindepth 1 -maxdepth 1 | wc -l; }
threads() { awk '/^Threads:/{print $2}' /proc/"$DAEMON_PID"/status; }
# Warm up, then take the resting levels.
client curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$API/info"
sleep 1
FDS0=$(fds); THREADS0=$(threads)

echo "load: 200 connections for ${DURATION}s on GET /info and GET /vms, VMs created and deleted meanwhile"
client wrk -t2 -c200 -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$API/info" >"$WORK/wrk-info.txt" 2>&1 &
W1=$!
client wrk -t1 -c50 -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$API/vms" >"$WORK/wrk-vms.txt" 2>&1 &
W2=$!
cycles=0; failures=0
end=$(($(date +%s) + DURATION - 5))
while [ "$(date +%s)" -lt "$end" ] && [ "$cycles" -lt 100 ]; do
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
    if [ "$(status)" = 201 ]; then
        id=$(field .id)
        api DELETE "/vms/$id" >/dev/null
        [ "$(status)" = 204 ] || failures=$((failures + 1))
    else
        failures=$((failures + 1))
    fi
    cycles=$((cycles + 1))
done
wait "$W1" "$W2"
cat "$WORK/wrk-info.txt"
non2xx=$(cat "$WORK/wrk-info.txt" "$WORK/wrk-vms.txt" | sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' | paste -sd+ | bc)
requests=$(cat "$WORK/wrk-info.txt" "$WORK/wrk-vms.txt" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' | paste -sd+ | bc)
errors=$(cat "$WORK/wrk-info.txt" "$WORK/wrk-vms.txt" | grep -c 'Socket errors' || true)
echo "load: $requests requests, ${non2xx:-0} non-2xx; $cycles create+delete cycles, $failures failed"
check "load: requests were served" test "${requests:-0}" -gt 1000
check_eq "load: zero non-2xx answers (so zero 5xx)" 0 "${non2xx:-0}"
check_eq "load: no socket errors" 0 "$errors"
check "load: VMs were created and deleted under load" test "$cycles" -ge 3
check_eq "load: every create and delete succeeded" 0 "$failures"
sleep 3
check_eq "load: no VM left behind" "qemu=0 taps=0 dirs=0" "$(printf 'qemu=%s taps=%s dirs=%s' \
    "$(pgrep -fc "$DATA/vms/" || true)" "$(hostns ip -o link show | grep -c ' sbx' || true)" \
    "$(find "$DATA/vms" -mindepth 1 -maxdepth 1 | wc -l)")"
echo "load: daemon fds $FDS0 -> $(fds), threads $THREADS0 -> $(threads), RSS $(awk '/VmRSS/{print $2}' /proc/"$DAEMON_PID"/status) KiB"
check "load: file descriptors back to rest (+20)" test "$(fds)" -le $((FDS0 + 20))
# Undertow's worker pool (64) fills under load and stays: bounded, not a leak. A second
# round must not add threads or descriptors.
THREADS1=$(threads); FDS1=$(fds)
check "load: threads within the worker pool bound" test "$THREADS1" -le $((THREADS0 + 64 + 10))
client wrk -t2 -c200 -d10s -H "Authorization: Bearer $TOKEN" "$API/info" >/dev/null 2>&1
sleep 2
check "load: a second round adds no threads (+2)" test "$(threads)" -le $((THREADS1 + 2))
check "load: a second round adds no descriptors (+5)" test "$(fds)" -le $((FDS1 + 5))
summary load
