#!/bin/bash
# Guest agent benchmark (root), in the namespaces of scripts/test/engine-env.sh, QEMU TCG, the
# test guest (1 vCPU): the round trip of `true` through POST /vms/{id}/exec against `ssh … true`
# through the VM's host port, RUNS of each, alternating, both from the client namespace and timed
# the same way (wall clock around one client process: curl or ssh); then file throughput,
# 64 MiB of random bytes up (PUT) and down (GET), 3 times each.
# Usage: scripts/bench/agent.sh [RUNS]   (default 30; run `mvn -B package` first)
set -u
DEFAULT_RUNS=30
# shellcheck source=bench-env.sh
. "$(dirname "$0")/bench-env.sh"
trap engine_cleanup EXIT
engine_start || exit 1
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"bench\"}" >/dev/null
port=$(field .ssh_port)
wait_for 120 ssh_ready "$port" || { echo "no SSH"; exit 1; }
api POST /vms/bench/exec '{"command":["true"],"timeout_ms":120000}' >/dev/null
[ "$(status)" = 200 ] || { echo "no agent: $(cat "$WORK/body")"; exit 1; }
# pct P: the P-th percentile (nearest rank) of the numbers on stdin.
pct() { tr ' ' '\n' | grep -v '^$' | sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}'; }
execs=""; sshs=""
for _ in $(seq 1 "$RUNS"); do
    t0=$(ms)
    api POST /vms/bench/exec '{"command":["true"]}' >/dev/null
    t1=$(ms)
    [ "$(status)" = 200 ] && execs="$execs $((t1 - t0))"
    t0=$(ms)
    vmssh "$port" true && sshs="$sshs $(($(ms) - t0))"
done
echo "exec true: p50 $(echo "$execs" | pct 50) ms, p99 $(echo "$execs" | pct 99) ms ($(echo "$execs" | wc -w) runs:$execs)"
echo "ssh true:  p50 $(echo "$sshs" | pct 50) ms, p99 $(echo "$sshs" | pct 99) ms ($(echo "$sshs" | wc -w) runs:$sshs)"
echo "ssh / exec at p50: $(awk -v a="$(echo "$sshs" | pct 50)" -v b="$(echo "$execs" | pct 50)" 'BEGIN {printf "%.1f", a / b}')x"

head -c 67108864 /dev/urandom >"$WORK/up.bin"
sum=$(sha256sum <"$WORK/up.bin" | cut -d' ' -f1)
ups=""; downs=""
for _ in 1 2 3; do
    t0=$(ms)
    code=$(client curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
        --data-binary "@$WORK/up.bin" "$API/vms/bench/files?path=/tmp/up.bin")
    t1=$(ms)
    [ "$code" = 201 ] && ups="$ups $((64000 / (t1 - t0 + 1)))"
    t0=$(ms)
    client curl -s -o "$WORK/down.bin" -H "Authorization: Bearer $TOKEN" "$API/vms/bench/files?path=/tmp/up.bin"
    t1=$(ms)
    [ "$(sha256sum <"$WORK/down.bin" | cut -d' ' -f1)" = "$sum" ] && downs="$downs $((64000 / (t1 - t0 + 1)))"
done
echo "64 MiB up (PUT):$ups MiB/s (median $(echo "$ups" | median)); down (GET):$downs MiB/s (median $(echo "$downs" | median))"
