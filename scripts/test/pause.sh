#!/bin/bash
# Pause to disk and resume, with real guests under QEMU TCG behind the daemon in the namespaces
# of engine-env.sh: a process counting in the guest goes on from where it was, a file written
# without sync is still there, SSH and exec work, the guest's clock is the host's again; a paused
# VM stays paused across a daemon restart and is deleted with its state; a state that cannot be
# loaded (cut short, or of another QEMU build) gives a clear error and the VM boots from its
# disk with discard_state.
# Usage: pause.sh TARGET_DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
. "$HERE/engine-env.sh"
trap 'engine_cleanup 40' EXIT
engine_start || exit 1
. "$HERE/agent-checks.sh"

api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"p1\"}" >/dev/null
check_eq "create p1" 201 "$(status)"
ID=$(field .id); PORT=$(field .ssh_port)
check "SSH answers" wait_for 120 ssh_ready "$PORT"
exec_in p1 '{"command":["true"],"timeout_ms":120000}'
check_eq "its agent answers" 200 "$(status)"
# A counter in the guest, in a process group of its own (the exec's; its file is 0600 root by
# the agent's umask), and a file never synced.
exec_in p1 '{"command":["sh","-c","i=0; while :; do i=$((i+1)); echo $i >/tmp/counter; sleep 0.2; done"],"background":true,"user":"root","timeout_ms":3600000}'
EXEC=$(field .exec_id)
exec_in p1 '{"command":["sh","-c","echo written-before-the-pause >/home/user/unsynced"]}'
counter() { exec_in p1 '{"command":["cat","/tmp/counter"],"user":"root"}'; field .stdout | tr -d '\n'; }
counter_pid() { exec_in p1 '{"command":["sh","-c","pgrep -f \"i=0; while\" | head -n 1"],"user":"root"}'; field .stdout | tr -d '\n'; }
sleep 2
C1=$(counter); PID1=$(counter_pid)
check "the counter runs ($C1, pid $PID1)" test "${C1:-0}" -gt 0
hypervisors() { pgrep -fc "$DATA/vms/$ID/" || true; }

echo "pause: pause and resume"
t0=$(ms)
api POST /vms/p1/pause >/dev/null
PAUSE_MS=$(($(ms) - t0))
check_eq "pause answers 200, status paused ($PAUSE_MS ms)" "200 paused" "$(status) $(field .status)"
check "the state's size and time are shown" jq -e '.state_bytes > 0 and (.paused_at | length) == 24' "$WORK/body"
check_eq "the hypervisor has exited" 0 "$(hypervisors)"
check "the state is the daemon's (0700 root)" test "$(stat -c '%a %U' "$DATA/vms/$ID/state")" = "700 root"
check "SSH is refused while paused" sh -c "! vmssh $PORT true"
exec_in p1 '{"command":["true"]}'
check_eq "exec while paused: 409 agent_unavailable" "409 agent_unavailable" "$(status) $(field .code)"
api POST /vms/p1/stop '{}' >/dev/null
check_eq "stop of a paused VM: 409 vm_paused" "409 vm_paused" "$(status) $(field .code)"
api POST /vms/p1/start '{}' >/dev/null
check_eq "start without discard_state: 409 vm_paused" "409 vm_paused" "$(status) $(field .code)"
sleep 3 # the guest's clock stands still meanwhile
t0=$(ms)
api POST /vms/p1/resume >/dev/null
RESUME_MS=$(($(ms) - t0))
check_eq "resume answers 200, status running ($RESUME_MS ms)" "200 running" "$(status) $(field .status)"
check_eq "no state left once resumed" "null false" "$(field .state_bytes) $(test -e "$DATA/vms/$ID/state" && echo true || echo false)"
C2=$(counter); PID2=$(counter_pid)
check_eq "the same counting process goes on" "$PID1" "$PID2"
api GET "/vms/p1/exec/$EXEC" >/dev/null
check_eq "its background command is still running, not lost" "200 running" "$(status) $(field .status)"
check "from where it was ($C1 -> $C2)" test "$C2" -gt "$C1"
check_eq "a file written without sync is there" written-before-the-pause \
    "$(exec_in p1 '{"command":["cat","/home/user/unsynced"]}'; field .stdout | tr -d '\n')"
clock_skew_ms() { # |guest - host| in ms, the host's time taken before and after the exec
    local before after guest
    before=$(ms)
    exec_in p1 '{"command":["date","+%s%3N"]}'
    after=$(ms)
    guest=$(field .stdout | tr -d '\n')
    if [ "$guest" -lt "$before" ]; then echo $((before - guest)); elif [ "$guest" -gt "$after" ]; then echo $((guest - after)); else echo 0; fi
}
SKEW=$(clock_skew_ms)
check "the guest's clock is the host's again (off by $SKEW ms)" test "$SKEW" -le 1000
check_eq "SSH works" hello "$(vmssh "$PORT" echo hello)"
agent_events() {
    client curl -sN --max-time 2 -H "Authorization: Bearer $TOKEN" -H "Last-Event-ID: 0" "$API/events" \
        | sed -n 's/^data://p' | jq -r 'select(.vm_name == "p1") | .type' | grep -E '^vm\.(paused|resumed)$' | tr '\n' ' '
}
check_eq "events vm.paused and vm.resumed" "vm.paused vm.resumed " "$(agent_events)"

echo "pause: across a daemon restart"
api POST /vms/p1/pause >/dev/null
check_eq "paused again" paused "$(field .status)"
daemon_stop
daemon_start
api GET /vms/p1 >/dev/null
check_eq "still paused after the restart" paused "$(field .status)"
api POST /vms/p1/resume >/dev/null
check_eq "resumed after the restart" running "$(field .status)"
C3=$(counter)
check "the counter goes on ($C2 -> $C3)" test "$C3" -gt "$C2"

echo "pause: a state that cannot be loaded"
api POST /vms/p1/pause >/dev/null
STATE=$(find "$DATA/vms/$ID/state" -type f | head -n 1)
truncate -s 4096 "$STATE"
api POST /vms/p1/resume >/dev/null
check_eq "a cut-short state: 500 resume_failed" "500 resume_failed" "$(status) $(field .code)"
check "the error says how to boot instead" grep -q discard_state "$WORK/body"
api GET /vms/p1 >/dev/null
check_eq "it stays paused, nothing left running" "paused 0" "$(field .status) $(hypervisors)"
api POST /vms/p1/start '{"discard_state":true}' >/dev/null
check_eq "start with discard_state boots from the disk" "200 running" "$(status) $(field .status)"
check "SSH after the boot" wait_for 120 ssh_ready "$PORT"
check_eq "a fresh boot: the counter is gone" "" "$(exec_in p1 '{"command":["sh","-c","cat /tmp/counter 2>/dev/null"],"timeout_ms":120000}'; field .stdout | tr -d '\n')"

echo "pause: a state of another QEMU build"
api POST /vms/p1/pause >/dev/null
daemon_stop
jq '.saved.format = "QEMU emulator version 1.0; microvm; tcg; qemu64,-cx16"' "$DATA/vms/$ID/vm.json" >"$WORK/vm.json"
cp "$WORK/vm.json" "$DATA/vms/$ID/vm.json"
daemon_start
api POST /vms/p1/resume >/dev/null
check_eq "409 state_incompatible" "409 state_incompatible" "$(status) $(field .code)"

echo "pause: delete while paused"
api DELETE /vms/p1 >/dev/null
check_eq "delete answers 204" 204 "$(status)"
check "nothing of it is left" test ! -e "$DATA/vms/$ID"
check_eq "no hypervisor left" 0 "$(hypervisors)"
summary pause
