#!/bin/bash
# Load test: 200 concurrent API clients for DURATION seconds while VMs are created and
# deleted, and meanwhile a hostile client (another address, 192.0.2.3) holds 10,000 idle
# connections to a VM's port and 3,000 slowloris connections to the API, and that VM's guest
# floods its serial console. Legitimate API calls and SSH keep working with no error, the
# daemon's threads and memory stay bounded, the console log stays under its cap; over-
# committing creates get 507. In the namespaces of engine-env.sh; wrk is the legitimate
# client, io.scalebox.loadtest.Flood the hostile one. Prints the figures in docs/benchmarks.md.
# Usage: load.sh TARGET_DIR [DURATION_SECONDS]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
DURATION=${2:-60}
ENGINE_CONFIG="CONSOLE_LOG_MAX_KIB=256"
. "$HERE/engine-env.sh"
trap engine_cleanup EXIT
# The daemon and the flood each hold thousands of sockets (the packaged unit sets LimitNOFILE).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"  # where raising the hard limit is not allowed
engine_start || exit 1
FLOOD="$TARGET/runtime/bin/java -cp $TARGET/test-classes io.scalebox.loadtest.Flood"
ip -n "$CLIENT_NS" addr add 192.0.2.3/24 dev "sbe2e-c$$"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"target\"}" >/dev/null
check_eq "the attacked VM is created" 201 "$(status)"
T_ID=$(field .id); T_PORT=$(field .ssh_port)
check "its SSH answers" wait_for 120 ssh_ready "$T_PORT"

fds() { find /proc/"${1:-$DAEMON_PID}"/fd -mindepth 1 -maxdepth 1 | wc -l; }
threads() { awk '/^Threads:/{print $2}' /proc/"${1:-$DAEMON_PID}"/status; }
rss() { awk '/VmRSS/{print $2}' /proc/"${1:-$DAEMON_PID}"/status; }
# The VM ports are the forwarder's, a process of its own (the daemon started it).
FWD_PID=$(forwarders | head -n 1)
check "the forwarder runs as scalebox-net" test "$(stat -c %U /proc/"$FWD_PID")" = scalebox-net
# Warm up, then take the resting levels.
client curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$API/info"
sleep 1
FDS0=$(fds); THREADS0=$(threads); FWD_FDS0=$(fds "$FWD_PID"); FWD_THREADS0=$(threads "$FWD_PID")

echo "load: 200 connections for ${DURATION}s on GET /info and GET /vms, VMs created and deleted meanwhile"
client wrk -t2 -c200 -d"${DURATION}s" --timeout 10s --latency -H "Authorization: Bearer $TOKEN" "$API/info" >"$WORK/wrk-info.txt" 2>&1 &
W1=$!
client wrk -t1 -c50 -d"${DURATION}s" --timeout 10s -H "Authorization: Bearer $TOKEN" "$API/vms" >"$WORK/wrk-vms.txt" 2>&1 &
W2=$!
ATTACK=$((DURATION - 10))
# shellcheck disable=SC2086 # FLOOD is a command with its arguments
client $FLOOD idle 192.0.2.1 "$T_PORT" 10000 192.0.2.3 "$ATTACK" >"$WORK/flood-idle.txt" 2>&1 &
F1=$!
# shellcheck disable=SC2086
client $FLOOD slowloris 192.0.2.1 8080 3000 192.0.2.3 "$ATTACK" >"$WORK/flood-slow.txt" 2>&1 &
F2=$!
# The burst is over when the proxy has refused (closed) nearly all of it and the count has
# stopped moving (three progress lines a second apart agree). While it lasts, the churn
# reaches the guest's own sshd, whose MaxStartups may drop a connection: that is the guest's
# defence, measured after the burst.
burst_over() {
    [ "$(tail -n 3 "$WORK/flood-idle.txt" | grep -c '^progress')" = 3 ] \
        && [ "$(tail -n 3 "$WORK/flood-idle.txt" | sort -u | wc -l)" = 1 ] \
        && tail -n 1 "$WORK/flood-idle.txt" | awk -F'closed=' '{exit !($2 >= 9900)}'
}
check "load: the proxy has refused the burst of 10,000 connections" wait_for 60 burst_over
cycles=0; failures=0; ssh_ok=0; ssh_tries=0; peak_threads=0; peak_rss=0; fwd_threads=0; fwd_rss=0
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
    # Under attack (every third cycle): SSH into the attacked VM through its port. Two cores run
    # the emulated guest, wrk, the flood and the daemon: SSH gets time, the proxy no excuse.
    if [ $((cycles % 3)) = 1 ]; then
        ssh_tries=$((ssh_tries + 1))
        t0=$(ms)
        if [ "$(client ssh -i "$WORK/key" -p "$T_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o ConnectTimeout=60 -o BatchMode=yes -o LogLevel=ERROR user@192.0.2.1 echo up 2>>"$WORK/ssh-errors.txt")" = up ]; then
            ssh_ok=$((ssh_ok + 1))
        else
            echo "ssh probe $ssh_tries failed after $(($(ms) - t0)) ms" >>"$WORK/ssh-errors.txt"
        fi
    fi
    t=$(threads); r=$(rss)
    [ "$t" -gt "$peak_threads" ] && peak_threads=$t
    [ "$r" -gt "$peak_rss" ] && peak_rss=$r
    t=$(threads "$FWD_PID"); r=$(rss "$FWD_PID")
    [ "$t" -gt "$fwd_threads" ] && fwd_threads=$t
    [ "$r" -gt "$fwd_rss" ] && fwd_rss=$r
done
wait "$W1" "$W2" "$F1" "$F2"
grep -h '^flood' "$WORK/flood-idle.txt" "$WORK/flood-slow.txt"
echo "load: under attack: SSH $ssh_ok of $ssh_tries, daemon threads at most $peak_threads (rest $THREADS0), RSS at most $((peak_rss / 1024)) MiB;" \
    "forwarder threads at most $fwd_threads (rest $FWD_THREADS0), RSS at most $((fwd_rss / 1024)) MiB"
check "load: the attack was carried out (connections to the VM's port and the API)" \
    sh -c "grep -q 'flood idle: 10000 tried' '$WORK/flood-idle.txt' && grep -q 'flood slowloris: 3000 tried, [1-9]' '$WORK/flood-slow.txt'"
check_eq "load: every SSH session into the attacked VM worked" "$ssh_tries" "$ssh_ok"
[ ! -s "$WORK/ssh-errors.txt" ] || cat "$WORK/ssh-errors.txt"
check "load: daemon threads stayed bounded (rest + worker pool + 10)" test "$peak_threads" -le $((THREADS0 + 64 + 10))
check "load: daemon RSS stayed under 768 MiB" test "$peak_rss" -le $((768 * 1024))
check "load: the daemon is alive" kill -0 "$DAEMON_PID"
# One selector thread for every connection: the JVM's own threads and nothing per connection.
check "load: forwarder threads stayed bounded (rest + 4)" test "$fwd_threads" -le $((FWD_THREADS0 + 4))
check "load: forwarder RSS stayed under 256 MiB" test "$fwd_rss" -le $((256 * 1024))
check "load: the forwarder is alive (same process)" kill -0 "$FWD_PID"

echo "load: a guest floods its serial console for 20 s"
check "load: the flood ran" vmssh "$T_PORT" "sudo timeout 20 sh -c 'yes scalebox console flood >/dev/ttyS0'; test \$? -eq 124"
check "load: the console log was cut down (a previous log exists)" test -s "$DATA/vms/$T_ID/console.log.1"
consoles_capped() {
    [ "$(stat -c %s "$DATA/vms/$T_ID/console.log")" -le 131072 ] && [ "$(stat -c %s "$DATA/vms/$T_ID/console.log.1")" -le 131072 ]
}
check "load: the console logs hold at most CONSOLE_LOG_MAX_KIB (256 KiB) together" wait_for 10 consoles_capped
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
api DELETE /vms/target >/dev/null
check_eq "load: the attacked VM is deleted" 204 "$(status)"

echo "load: disks are committed at their nominal size"
free_gib=$(($(df --output=avail -B1 "$DATA" | tail -n 1) / 1073741824))
half=$(((free_gib - 2) * 6 / 10))
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"big1\",\"disk_size_gib\":$half}" >/dev/null
check_eq "load: a sparse disk of 60% of the free space fits ($half GiB)" 201 "$(status)"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"big2\",\"disk_size_gib\":$half}" >/dev/null
check_eq "load: a second one does not (over-commit), although the space is still free" 507 "$(status)"
api GET /info >/dev/null
check "load: /info reports the commitment" jq -e ".storage.committed_gb >= $half" "$WORK/body"
api DELETE /vms/big1 >/dev/null
check_eq "load: delete big1" 204 "$(status)"
wait_for 10 sh -c "! pgrep -f '$DATA/vms/' >/dev/null"
check_eq "load: no VM left behind" "qemu=0 taps=0 dirs=0" "$(printf 'qemu=%s taps=%s dirs=%s' \
    "$(pgrep -fc "$DATA/vms/" || true)" "$(hostns ip -o link show | grep -c ' sbx' || true)" \
    "$(find "$DATA/vms" -mindepth 1 -maxdepth 1 | wc -l)")"
echo "load: daemon fds $FDS0 -> $(fds), threads $THREADS0 -> $(threads), RSS $(awk '/VmRSS/{print $2}' /proc/"$DAEMON_PID"/status) KiB"
check "load: file descriptors back to rest (+20)" test "$(fds)" -le $((FDS0 + 20))
check "load: the forwarder's descriptors back to rest (+20)" test "$(fds "$FWD_PID")" -le $((FWD_FDS0 + 20))
# Undertow's worker pool (64) fills under load and stays: bounded, not a leak. A second
# round must not add threads or descriptors.
THREADS1=$(threads); FDS1=$(fds)
check "load: threads within the worker pool bound" test "$THREADS1" -le $((THREADS0 + 64 + 10))
client wrk -t2 -c200 -d10s -H "Authorization: Bearer $TOKEN" "$API/info" >/dev/null 2>&1
sleep 2
check "load: a second round adds no threads (+2)" test "$(threads)" -le $((THREADS1 + 2))
check "load: a second round adds no descriptors (+5)" test "$(fds)" -le $((FDS1 + 5))
summary load
