#!/bin/bash
# Stop benchmark (root), in the namespaces of scripts/test/engine-env.sh, QEMU TCG, test guest:
#   POST /vms/{id}/stop until it answers, clean (the guest powers off on the ACPI power
#   button) vs {"force": true}; and the cost of the VM unit's ExecStop helper
#   (scaleboxd --stop-vm with the launcher's JVM flags): wall time and peak RSS.
# Usage: scripts/bench/stop.sh [RUNS]   (run `mvn -B package -DskipTests` first)
set -u
DEFAULT_RUNS=5
# shellcheck source=bench-env.sh
. "$(dirname "$0")/bench-env.sh"
trap engine_cleanup EXIT

engine_start || exit 1
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"bench\"}" >/dev/null
port=$(field .ssh_port)
clean="" forced=""
for _ in $(seq 1 "$RUNS"); do
    for kind in clean forced; do
        wait_for 120 ssh_ready "$port" || { echo "no SSH"; exit 1; }
        body=""; [ "$kind" = forced ] && body='{"force":true}'
        t0=$(ms); api POST /vms/bench/stop "$body" >/dev/null; t=$(($(ms) - t0))
        [ "$(status)" = 200 ] || { echo "stop failed: $(cat "$WORK/body")"; exit 1; }
        if [ "$kind" = clean ]; then clean="$clean $t"; else forced="$forced $t"; fi
        api POST /vms/bench/start >/dev/null
    done
done
echo "| stop (test guest, TCG) | runs (ms) | median |"
echo "|---|---|---|"
echo "| clean (power button) |$clean | $(echo "$clean" | median) ms |"
echo "| forced (\`{\"force\": true}\`) |$forced | $(echo "$forced" | median) ms |"
echo "clean stops logged: $(grep -c 'guest powered off by itself' "$WORK/daemon.log") of $RUNS"

if [ -x /usr/bin/time ]; then  # time(1): Debian package "time"
    # The packaged launcher's JVM flags (scripts/launchers/scaleboxd), without its CDS archive.
    runs=""
    for _ in $(seq 1 "$RUNS"); do
        t0=$(ms); /usr/bin/time -f %M -o "$WORK/rss" env MAINPID=1 "$TARGET/runtime/bin/java" -XX:+UseSerialGC \
            -Xms16m -Xmx1g -XX:TieredStopAtLevel=1 -cp "$CP" io.scalebox.daemon.Main --stop-vm \
            --hypervisor qemu --timeout 30 "$WORK/no-such-vm" >/dev/null
        runs="$runs $(($(ms) - t0)) ms/$(($(cat "$WORK/rss") / 1024)) MiB"
    done
    echo "ExecStop helper asking a VM without control socket (wall/peak RSS):$runs"
fi
