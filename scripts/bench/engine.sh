#!/bin/bash
# Engine benchmarks (root), in the namespaces of scripts/test/engine-env.sh, QEMU TCG:
#   1. daemon overhead of one create (POST /vms until it answers: clone, key, TAP, hypervisor
#      started; excludes guest boot), 1 GiB and 10 GiB templates, on a btrfs loop image
#      (reflink clone) and on the host filesystem (sparse copy);
#   2. 1 vs 10 concurrent creates (wall time until all answered);
#   3. create -> SSH-ready under TCG;
#   4. bulk TCP throughput to the guest's port 22: through the daemon's port vs direct.
# Usage: scripts/bench/engine.sh [RUNS]   (run `mvn -B package -DskipTests` first)
set -u
DEFAULT_RUNS=3
# shellcheck source=bench-env.sh
. "$(dirname "$0")/bench-env.sh"
BTRFS_IMG=$WORK/btrfs.img
BTRFS_MNT=$WORK/btrfs
cleanup() {
    engine_stop
    if mountpoint -q "$BTRFS_MNT"; then umount "$BTRFS_MNT" || umount -l "$BTRFS_MNT"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
command -v mkfs.btrfs >/dev/null || apt-get install -y -q --no-install-recommends btrfs-progs >/dev/null

create_ms() { # create_ms TEMPLATE -> prints ms, leaves the VM id in $WORK/last
    t0=$(ms)
    api POST /vms "{\"template\":\"$1\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
    t1=$(ms)
    [ "$(status)" = 201 ] || { echo "create failed: $(cat "$WORK/body")" >&2; return 1; }
    field .id >"$WORK/last"
    echo $((t1 - t0))
}

# A template of SIZE GiB whose filesystem holds FILL MiB of incompressible data.
make_template() { # make_template DIR NAME SIZE_GIB FILL_MIB
    img=$1/templates/$2.ext4
    cp --sparse=always "$GUEST/rootfs.ext4" "$img"
    truncate -s "$3G" "$img"
    e2fsck -f -y "$img" >/dev/null 2>&1; resize2fs "$img" >/dev/null 2>&1
    head -c "$(($4 * 1024 * 1024))" /dev/urandom >"$WORK/fill.bin"
    debugfs -w -R "write $WORK/fill.bin /fill.bin" "$img" >/dev/null 2>&1
    rm -f "$WORK/fill.bin"
}

overhead() { # overhead LABEL -> per template size, RUNS creates, then deletes
    for t in t1g t10g; do
        times=""
        for _ in $(seq 1 "$RUNS"); do
            times="$times $(create_ms "$t")"
            api DELETE "/vms/$(cat "$WORK/last")" >/dev/null
        done
        echo "| $1 | $t | $times | $(echo "$times" | median) |"
    done
}

echo "== templates on the host filesystem (sparse copy)"
engine_start "$WORK/data" || exit 1
make_template "$DATA" t1g 1 700
make_template "$DATA" t10g 10 9000
api GET /info >/dev/null; echo "disk_clone: $(field .disk_clone)"
echo "| storage | template | create ms ($RUNS runs) | median |"
overhead "host fs, $(field .disk_clone)"

echo "== 1 vs 10 concurrent creates (1 GiB template, host fs)"
t0=$(ms); create_ms t1g >/dev/null; one=$(($(ms) - t0)); api DELETE "/vms/$(cat "$WORK/last")" >/dev/null
t0=$(ms); pids=""
for i in $(seq 1 10); do
    client curl -s -o "$WORK/c$i.json" -H "Authorization: Bearer $TOKEN" \
        --data-binary "{\"template\":\"t1g\",\"ssh_public_key\":\"$KEY\"}" "$API/vms" & pids="$pids $!"
done
# shellcheck disable=SC2086 # one PID per word
wait $pids; ten=$(($(ms) - t0))
ok=$(cat "$WORK"/c*.json | jq -r .id | grep -c '^vm-')
echo "1 create: ${one} ms; 10 concurrent: ${ten} ms for all ($ok created), $((ten / 10)) ms per VM"
for f in "$WORK"/c*.json; do api DELETE "/vms/$(jq -r .id "$f")" >/dev/null; done

echo "== create -> SSH ready (TCG, debian-base test guest)"
readys=""
for i in $(seq 1 "$RUNS"); do
    t0=$(ms)
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
    port=$(field .ssh_port); id=$(field .id)
    wait_for 120 ssh_ready "$port"
    readys="$readys $(($(ms) - t0))"
    [ "$i" = "$RUNS" ] || api DELETE "/vms/$id" >/dev/null  # the last one serves the throughput test
done
echo "create -> ssh echo: $readys ms (median $(echo "$readys" | median))"

echo "== bulk TCP throughput to guest port 22 (256 MiB)"
guest=$(jq -r .guest_address "$DATA/vms/$id/vm.json")
# Replace sshd by a sink on port 22 (the proxy only forwards to 22).
vmssh "$port" "sudo sh -c 'nohup sh -c \"sleep 1; pkill -x sshd; exec socat -u TCP-LISTEN:22,fork,reuseaddr OPEN:/dev/null\" >/dev/null 2>&1 &'"
sleep 4
thru() { # thru NS HOST PORT -> MB/s
    t0=$(ms)
    head -c 268435456 /dev/zero | ip netns exec "$1" socat -u - "TCP:$2:$3" 2>/dev/null
    echo "$((256 * 1000 / ($(ms) - t0 + 1)))"
}
echo "through the daemon's port (client ns -> 192.0.2.1:$port): $(thru "$CLIENT_NS" 192.0.2.1 "$port") MB/s"
echo "direct to the guest (host ns -> $guest:22):           $(thru "$HOST_NS" "$guest" 22) MB/s"
api DELETE "/vms/$id" >/dev/null
engine_stop

echo "== templates on btrfs (reflink clone)"
truncate -s 40G "$BTRFS_IMG"
mkfs.btrfs -q "$BTRFS_IMG"
mkdir -p "$BTRFS_MNT"
mount -o loop "$BTRFS_IMG" "$BTRFS_MNT"
HOST_NS=sbbench-host-$$ CLIENT_NS=sbbench-client-$$
engine_start "$BTRFS_MNT/data" || exit 1
make_template "$DATA" t1g 1 700
make_template "$DATA" t10g 10 9000
api GET /info >/dev/null; echo "disk_clone: $(field .disk_clone)"
overhead "btrfs, $(field .disk_clone)"
engine_stop
