#!/bin/bash
# Commands and files through the guest agent (qemu-guest-agent in the test guest), with real
# guests under QEMU TCG behind the daemon in the namespaces of engine-env.sh: exec in the
# foreground (exit codes, both streams, stdin, env, cwd, user, a timeout that kills the whole
# process tree, 16 MiB of output cut and flagged), in the background (polled, followed, killed,
# and through a daemon restart), files up and down (50 MiB of random bytes, checksums equal),
# listed, removed, their modes and owners; then a hostile guest that replaces its agent with
# garbage, endless lines, deep JSON, forged ids and a trickle: every call answers in time with
# a clear code, the other VM's calls keep working, the daemon's threads and memory stay bounded.
# Usage: agent.sh TARGET_DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
. "$HERE/engine-env.sh"
trap 'engine_cleanup 40' EXIT
engine_start || exit 1

. "$HERE/agent-checks.sh"

echo "agent: a command right after the create waits for the agent"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"alpha\"}" >/dev/null
check_eq "create alpha" 201 "$(status)"
exec_in alpha '{"command":["sh","-c","echo out; echo err >&2; exit 3"]}'
check_eq "exit code, stdout and stderr apart" "200 3 out err false" \
    "$(status) $(field .exit_code) $(field .stdout | tr -d '\n') $(field .stderr | tr -d '\n') $(field .timed_out)"
check_eq "the VM shows its agent ready" "ready" "$(api GET /vms/alpha | jq -r .agent)"
agent_ready_event() {
    client curl -sN --max-time 2 -H "Authorization: Bearer $TOKEN" -H "Last-Event-ID: 0" "$API/events" \
        | sed -n 's/^data://p' | jq -r 'select(.type == "vm.agent_ready") | .vm_name' | grep -qx alpha
}
check "GET /events: vm.agent_ready" wait_for 10 agent_ready_event

agent_checks alpha
# (counters start again at a restart, as Prometheus expects)
metric() { client curl -s -H "Authorization: Bearer $TOKEN" "$API/metrics" | grep -E "^$1" | head -n 1; }
has_metric() { [ -n "$(metric "$1")" ] || { echo "    no series $1 in:"; client curl -s -H "Authorization: Bearer $TOKEN" "$API/metrics" | grep -E '^scalebox_(guest|file|agent)'; false; }; }
check "metrics: commands by mode and end" has_metric 'scalebox_execs_total\{end="exited",mode="foreground"\}'
check "metrics: file bytes to the guest" has_metric 'scalebox_guest_bytes_total\{direction="to_guest",what="file"\}'
check "metrics: file bytes from the guest" has_metric 'scalebox_guest_bytes_total\{direction="from_guest",what="file"\}'
check "metrics: file operations" has_metric 'scalebox_file_operations_total\{operation="put",result="ok"\}'

echo "agent: a background command through a daemon restart"
exec_in alpha '{"command":["sh","-c","sleep 6; echo survived"],"background":true}'
EX=$(field .exec_id)
daemon_stop
daemon_start
ended() { api GET "/vms/alpha/exec/$EX" >/dev/null; [ "$(field .status)" = exited ]; }
check "a background command survives a daemon restart" wait_for 60 ended
check_eq "its result and output after the restart" "0 survived" "$(field .exit_code) $(field .stdout | tr -d '\n')"

echo "agent: a hostile guest"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"hostile\"}" >/dev/null
H_PORT=$(field .ssh_port)
exec_in hostile '{"command":["true"]}'
check_eq "its agent answers at first" 200 "$(status)"
threads() { awk '/^Threads:/{print $2}' /proc/"$DAEMON_PID"/status; }
rss() { awk '/VmRSS/{print $2}' /proc/"$DAEMON_PID"/status; }
THREADS0=$(threads)
peak_threads=0; peak_rss=0
wait_for 60 ssh_ready "$H_PORT"
# The guest's side of the attacks: take-over.sh stops its agent (and keeps init from starting
# it again), finds the agent's port and runs the attack NAME on it in the background.
cat >"$WORK/take-over.sh" <<'GUEST'
touch /etc/scalebox-test/no-agent
[ ! -s /tmp/attack.pid ] || kill -s KILL -- "-$(cat /tmp/attack.pid)" 2>/dev/null
for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = qemu-ga ] && kill "${p#/proc/}"
done
sleep 1
for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name")" = org.qemu.guest_agent.0 ] && port=/dev/${p##*/}
done
# A process group of its own: the next attack or the give-back ends all of it.
setsid sh "/tmp/attack-$1" "$port" >/dev/null 2>&1 </dev/null &
echo $! >/tmp/attack.pid
GUEST
cat >"$WORK/attack-garbage" <<'GUEST'
while :; do echo not-json-at-all; sleep 0.01; done >"$1"
GUEST
cat >"$WORK/attack-endless" <<'GUEST'
tr '\0' x </dev/zero >"$1"
GUEST
cat >"$WORK/attack-deep" <<'GUEST'
exec 3<>"$1"
while read -r line <&3; do head -c 100000 /dev/zero | tr '\0' '[' >&3; echo >&3; done
GUEST
cat >"$WORK/attack-forged" <<'GUEST'
exec 3<>"$1"
while read -r line <&3; do printf '\377{"return": 1}\n{"return": {}, "id": 7}\n' >&3; done
GUEST
cat >"$WORK/attack-trickle" <<'GUEST'
while :; do printf x; sleep 1; done >"$1"
GUEST
for f in take-over.sh attack-garbage attack-endless attack-deep attack-forged attack-trickle; do
    vmssh "$H_PORT" "cat >/tmp/$f" <"$WORK/$f"
done
# The trickle first: no bytes of an earlier attack can wait in the channel then.
for attack in trickle garbage endless deep forged; do
    vmssh "$H_PORT" "sudo sh /tmp/take-over.sh $attack"
    sleep 2
    t0=$(ms)
    exec_in hostile '{"command":["true"],"timeout_ms":5000}'
    took=$(($(ms) - t0))
    check "$attack: a clear error ($(status) $(field .code), $took ms)" \
        sh -c "[ '$(status)' = 502 ] || [ '$(status)' = 504 ] || [ '$(status)' = 409 ]"
    check "$attack: within the agent's deadlines" test "$took" -lt 30000
    exec_in alpha '{"command":["echo","fine"]}'
    check_eq "$attack: the other VM's commands still work" "200 fine" "$(status) $(field .stdout | tr -d '\n')"
    t=$(threads); r=$(rss)
    [ "$t" -gt "$peak_threads" ] && peak_threads=$t
    [ "$r" -gt "$peak_rss" ] && peak_rss=$r
done
echo "  daemon threads $THREADS0 at rest, at most $peak_threads under the attacks; RSS at most $((peak_rss / 1024)) MiB"
check "the daemon's threads stayed bounded (rest + the slow-request threads in use + 10)" test "$peak_threads" -le $((THREADS0 + 20))
check "the daemon's memory stayed bounded (RSS under 512 MiB)" test "$peak_rss" -lt $((512 * 1024))
check_eq "the hostile VM shows its agent as not answering" "connecting" "$(api GET /vms/hostile | jq -r .agent)"
cat >"$WORK/give-back.sh" <<'GUEST'
kill -s KILL -- "-$(cat /tmp/attack.pid)" 2>/dev/null
rm -f /etc/scalebox-test/no-agent /tmp/attack.pid
GUEST
vmssh "$H_PORT" "cat >/tmp/give-back.sh" <"$WORK/give-back.sh"
vmssh "$H_PORT" "sudo sh /tmp/give-back.sh"
recovered() { exec_in hostile '{"command":["echo","back"]}'; [ "$(status)" = 200 ]; }
check "once the guest gives its agent back, it answers again" wait_for 60 recovered

echo "agent: a stopped VM"
check_eq "stop alpha" 200 "$(api POST /vms/alpha/stop '{"force":true}' >/dev/null; status)"
exec_in alpha '{"command":["true"]}'
check_eq "exec on a stopped VM: 409 agent_unavailable at once" "409 agent_unavailable" "$(status) $(field .code)"
check_eq "its agent shows unavailable" unavailable "$(api GET /vms/alpha | jq -r .agent)"
check "metrics: agent errors by kind" has_metric 'scalebox_agent_errors_total'
summary agent
