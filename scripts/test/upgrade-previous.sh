#!/bin/bash
# upgrade-previous.sh OLD_DEB NEW_DEB: a VM started by an earlier release (root QEMU, qmp.sock in
# its directory) survives the upgrade (dpkg -i), is stopped cleanly through its old socket and
# starts again confined as scalebox-vm. Not in CI (it needs a build of the earlier release):
#   git worktree add /var/tmp/old <tag> && (cd /var/tmp/old && mvn -B -q package -DskipTests)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OLD=$1 NEW=$2
. "$HERE/lib.sh"
. "$HERE/container.sh"
CT_IMAGE=bookworm-systemd-qemu.tar
CT_NSPAWN_ARGS="--bind=/dev/net/tun"
trap ct_stop EXIT
ct_start "sbup$$" || exit 1
cp "$NEW" "$CT_ROOT/root/new.deb"
mkdir -p "$CT_ROOT/srv/guest"; cp --sparse=always "$CACHE/guest/vmlinux" "$CACHE/guest/initrd.img" "$CT_ROOT/srv/guest/"
check "install the previous release" ct_install "$OLD"
cp --sparse=always "$CACHE/guest/rootfs.ext4" "$CT_ROOT/var/lib/scalebox/templates/debian-base.ext4"
ct sed -i -e 's|^QEMU_ACCEL=.*|QEMU_ACCEL=tcg|' -e 's|^KERNEL_PATH=.*|KERNEL_PATH=/srv/guest/vmlinux|' \
    -e 's|^INITRD_PATH=.*|INITRD_PATH=/srv/guest/initrd.img|' -e 's|^DEFAULT_MEM_SIZE_MIB=.*|DEFAULT_MEM_SIZE_MIB=256|' \
    -e 's|^DEFAULT_VCPU_COUNT=.*|DEFAULT_VCPU_COUNT=1|' -e 's|^VM_STOP_TIMEOUT=.*|VM_STOP_TIMEOUT=20|' /etc/scalebox/config
ct systemctl restart scaleboxd
TOKEN=$(ct sed -n 's/^API_TOKEN=//p' /etc/scalebox/config)
ct ssh-keygen -q -t ed25519 -N '' -f /root/key
KEY=$(ct cat /root/key.pub)
api() { ct curl -s -o /root/body -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" ${3:+--data-binary "$3"} "http://127.0.0.1:8080$2"; }
field() { ct jq -r "$1" /root/body; }
vmssh() { ct ssh -q -i /root/key -p "$1" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o BatchMode=yes user@127.0.0.1 "${@:2}"; }
ssh_ready() { vmssh "$1" true; }
check_eq "create a VM (previous release)" 201 "$(api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"old\"}")"
ID=$(field .id); PORT=$(field .ssh_port); UNIT=scalebox-vm-$ID.service
check "SSH" wait_for 120 ssh_ready "$PORT"
PID=$(ct systemctl show -p MainPID --value "$UNIT")
check_eq "QEMU runs as root before" 0 "$(ct awk '/^Uid:/{print $2}' "/proc/$PID/status")"
check "old socket in the VM directory" ct test -S "/var/lib/scalebox/vms/$ID/qmp.sock"
check "dpkg -i this tree's package" ct env DEBIAN_FRONTEND=noninteractive dpkg -i /root/new.deb
check "daemon active" wait_for 60 sh -c "nsenter -t $CT_PID -a systemctl is-active -q scaleboxd"
check_eq "VM kept running (same PID)" "$PID" "$(ct systemctl show -p MainPID --value "$UNIT")"
check_eq "re-attached: listed running" "200 running" "$(api GET /vms/old) $(field .status)"
check "SSH after the upgrade" wait_for 30 ssh_ready "$PORT"
vmssh "$PORT" 'echo unsynced >/home/user/f'
check_eq "API stop (through the old socket)" "200 stopped" "$(api POST /vms/old/stop) $(field .status)"
check "journal: the guest powered off by itself" sh -c "nsenter -t $CT_PID -a journalctl -q --no-pager -o cat | grep -q '$ID: guest powered off by itself'"
check_eq "start" "200 running" "$(api POST /vms/old/start) $(field .status)"
check "SSH after start" wait_for 120 ssh_ready "$PORT"
check_eq "the unsynced file survived" unsynced "$(vmssh "$PORT" cat /home/user/f)"
PID=$(ct systemctl show -p MainPID --value "$UNIT")
check_eq "QEMU now runs as scalebox-vm" "$(ct id -u scalebox-vm)" "$(ct awk '/^Uid:/{print $2}' "/proc/$PID/status")"
check "socket now in ctl/" ct test -S "/var/lib/scalebox/vms/$ID/ctl/qmp.sock"
check "old socket gone" sh -c "! nsenter -t $CT_PID -a test -e /var/lib/scalebox/vms/$ID/qmp.sock"
check_eq "delete" 204 "$(api DELETE /vms/old)"
summary upgrade-previous
