#!/bin/bash
# Warm templates and pause/resume (root), QEMU TCG in the namespaces of scripts/test/engine-env.sh,
# with the real debian-base (full systemd) built by `scalebox template build` (cached packages):
#   1. create -> first SSH command, booted (no warm state) and restored (warm state), RUNS each,
#      with the restore's phases from /metrics;
#   2. the warm state's build time and size;
#   3. pause and resume of a running 1 GiB VM: each call's time, the state's size, SSH after.
# Every VM: 1 vCPU, 1 GiB (the daemon's default size here, so that creates use the warm state).
# Usage: scripts/bench/warm.sh [RUNS]   (run `mvn -B package -DskipTests` first)
set -u
DEFAULT_RUNS=5
# shellcheck source=bench-env.sh
. "$(dirname "$0")/bench-env.sh"
trap engine_cleanup EXIT

BUILT=$WORK/built
mkdir -p "$BUILT"
printf 'DATA_DIR=%s\n' "$BUILT" >"$WORK/build.conf"
cli_wrapper "$WORK/bin"
SCALEBOX_BASE_PACKAGES=$ROOT/scripts/debian-base.packages "$WORK/bin/scalebox" template build debian-base \
    --config "$WORK/build.conf" --cache-dir "$CACHE/debootstrap" >"$WORK/build.log" 2>&1 \
    || { tail "$WORK/build.log"; exit 1; }
ENGINE_KERNEL=$BUILT/kernel/vmlinux ENGINE_INITRD=$BUILT/kernel/initrd.img
ENGINE_BASE=$BUILT/templates/debian-base.ext4
ENGINE_CONFIG="DEFAULT_MEM_SIZE_MIB=1024
LOG_LEVEL=debug"
engine_start >/dev/null || exit 1

# create_to_ssh: ms from POST /vms to the first SSH command that succeeds; the VM is deleted after.
create_to_ssh() {
    local t0 port id
    t0=$(ms)
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
    port=$(field .ssh_port); id=$(field .id)
    wait_for 400 ssh_ready "$port" || { echo "no SSH" >&2; return 1; }
    echo $(($(ms) - t0))
    api DELETE "/vms/$id" >/dev/null
}
phase_sum() { # phase_sum PHASE: the histogram's _sum in ms
    client curl -s -H "Authorization: Bearer $TOKEN" "$API/metrics" \
        | sed -n "s/^scalebox_create_phase_duration_seconds_sum{phase=\"$1\"} \([0-9.E-]*\)$/\1/p" \
        | awk '{printf "%d", $1 * 1000}'
}

cold=""
for _ in $(seq 1 "$RUNS"); do cold="$cold $(create_to_ssh)" || exit 1; done
echo "booted (cold) create -> first SSH command: median $(echo "$cold" | median) ms of:$cold"

t0=$(ms)
api POST /templates/debian-base/warm >/dev/null
[ "$(status)" = 200 ] || { echo "warm failed: $(cat "$WORK/body")"; exit 1; }
echo "warm state build: $(($(ms) - t0)) ms, state $(( $(field .warm.state_bytes) >> 20 )) MiB," \
    "disk $(du -m --apparent-size "$DATA/warm/debian-base/disk.ext4" | cut -f1) MiB apparent," \
    "$(du -m "$DATA/warm/debian-base/disk.ext4" | cut -f1) MiB allocated"

clone0=$(phase_sum clone); restore0=$(phase_sum restore); identity0=$(phase_sum identity)
warm=""
for _ in $(seq 1 "$RUNS"); do warm="$warm $(create_to_ssh)" || exit 1; done
echo "restored (warm) create -> first SSH command: median $(echo "$warm" | median) ms of:$warm"
echo "restored creates' phases, mean of $RUNS: clone $(( ($(phase_sum clone) - clone0) / RUNS )) ms," \
    "restore $(( ($(phase_sum restore) - restore0) / RUNS )) ms, identity $(( ($(phase_sum identity) - identity0) / RUNS )) ms"
grep -c "from debian-base's warm state" "$WORK/daemon.log" | sed 's/^/restored creates in the log: /'
grep -E "agent answered in|identity given" "$WORK/daemon.log" | sed 's/^[^ ]* [A-Z]* *//' | tail -n 6

api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"sleeper\"}" >/dev/null
port=$(field .ssh_port)
wait_for 400 ssh_ready "$port" || { echo "no SSH"; exit 1; }
vmssh "$port" 'sudo sh -c "head -c 300M /dev/urandom >/dev/shm/ballast"' # memory in use (root's: logind keeps it)
pauses=""; resumes=""; sizes=""
for _ in $(seq 1 "$RUNS"); do
    t0=$(ms); api POST /vms/sleeper/pause >/dev/null; pauses="$pauses $(($(ms) - t0))"
    sizes="$sizes $(( $(field .state_bytes) >> 20 ))"
    t0=$(ms); api POST /vms/sleeper/resume >/dev/null; resumes="$resumes $(($(ms) - t0))"
    [ "$(field .status)" = running ] || { echo "resume failed: $(cat "$WORK/body")"; exit 1; }
    wait_for 30 ssh_ready "$port" || { echo "no SSH after resume"; exit 1; }
done
echo "pause of a 1 GiB VM (300 MiB in use): median $(echo "$pauses" | median) ms of:$pauses; state MiB:$sizes"
echo "resume: median $(echo "$resumes" | median) ms of:$resumes"
