#!/bin/bash
# debian-base benchmarks (root), QEMU TCG in the namespaces of scripts/test/engine-env.sh:
#   1. `scalebox template build debian-base` with a warm package cache (the usual rebuild);
#   2. create -> SSH-ready for a debian-base VM (full systemd), 1 vCPU, 512 MiB, RUNS times;
#   3. CLI start-up: `scalebox help` and `scalebox vm list` against the daemon, median of 10.
# Usage: scripts/bench/base.sh [RUNS]   (run `mvn -B package -DskipTests` first)
set -u
DEFAULT_RUNS=3
# shellcheck source=bench-env.sh
. "$(dirname "$0")/bench-env.sh"
trap engine_cleanup EXIT
cli_wrapper "$WORK/bin"
sb() { "$WORK/bin/scalebox" "$@"; }

BUILT=$WORK/built
mkdir -p "$BUILT"
printf 'DATA_DIR=%s\n' "$BUILT" >"$WORK/build.conf"
# Warm the cache once (no-op when it is), then time a rebuild.
SCALEBOX_BASE_PACKAGES=$ROOT/scripts/debian-base.packages \
    sb template build debian-base --config "$WORK/build.conf" --cache-dir "$CACHE/debootstrap" >/dev/null 2>&1
t0=$(ms)
SCALEBOX_BASE_PACKAGES=$ROOT/scripts/debian-base.packages \
    sb template build debian-base --config "$WORK/build.conf" --cache-dir "$CACHE/debootstrap" >"$WORK/build.log" 2>&1 \
    || { tail "$WORK/build.log"; exit 1; }
echo "template build, warm cache: $(( ($(ms) - t0) / 1000 )) s ($(grep -o 'Debian [0-9.]*, kernel [^,]*' "$WORK/build.log"))"

ENGINE_KERNEL=$BUILT/kernel/vmlinux ENGINE_INITRD=$BUILT/kernel/initrd.img
ENGINE_BASE=$BUILT/templates/debian-base.ext4
engine_start >/dev/null || exit 1
times=""
for i in $(seq 1 "$RUNS"); do
    t0=$(ms)
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"mem_size_mib\":512,\"vcpu_count\":1}" >/dev/null
    port=$(field .ssh_port); id=$(field .id)
    wait_for 400 ssh_ready "$port" || { echo "run $i: no SSH"; exit 1; }
    times="$times $(($(ms) - t0))"
    api DELETE "/vms/$id" >/dev/null
done
echo "debian-base create -> SSH (TCG, 1 vCPU): median $(echo "$times" | median) ms of:$times"

for cmd in "help" "vm list"; do
    t=""
    for i in $(seq 1 10); do
        t0=$(ms)
        # shellcheck disable=SC2086
        client env SCALEBOX_HOST="$API" SCALEBOX_TOKEN="$TOKEN" "$WORK/bin/scalebox" $cmd >/dev/null
        t="$t $(($(ms) - t0))"
    done
    echo "scalebox $cmd: median $(echo "$t" | median) ms of 10"
done
