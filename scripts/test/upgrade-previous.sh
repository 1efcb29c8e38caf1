#!/bin/bash
# The upgrade from the last release (scripts/release/previous) to this tree's package, under a
# real systemd (nspawn): a VM started by the previous release keeps its hypervisor process
# through `apt-get install` of the new package, is re-attached and answers SSH, its record is
# rewritten in the new format, and it stops cleanly and starts again later.
# Usage: upgrade-previous.sh PREVIOUS_DEB NEW_DEB  (test-all.sh builds PREVIOUS_DEB with
# scripts/release/previous-deb.sh)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OLD=$1 NEW=$2
. "$HERE/lib.sh"
. "$HERE/container.sh"
. "$HERE/vm-container.sh"
OLD_VERSION=$(dpkg-deb -f "$OLD" Version)
NEW_VERSION=$(dpkg-deb -f "$NEW" Version)
# The host the previous release asks for (README of 0.1.0): udev's /dev/net/tun, 0666.
CT_TUN_MODE=0666
trap ct_stop EXIT

echo "upgrade-previous: $OLD_VERSION -> $NEW_VERSION, a VM running throughout"
vmct_start "sbup$$" || exit 1
check_here "install the previous release ($OLD_VERSION)" vmct_install "$OLD"
check_eq "the daemon is $OLD_VERSION" "200 $OLD_VERSION" "$(api GET /info) $(field .version)"
check_eq "create a VM under $OLD_VERSION" 201 "$(api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"old\"}")"
ID=$(field .id); PORT=$(field .ssh_port); UNIT=scalebox-vm-$ID.service
check "SSH" wait_for 120 ssh_ready "$PORT"
PID=$(ct systemctl show -p MainPID --value "$UNIT")
vmssh "$PORT" 'echo before-upgrade >/home/user/marker && sync'
RECORD_BEFORE=$(ct cat "/var/lib/scalebox/vms/$ID/vm.json")

check "apt-get install the new package ($NEW_VERSION)" ct_install "$NEW"
check "daemon active" wait_for 60 sh -c "nsenter -t $CT_PID -a systemctl is-active -q scaleboxd"
check_eq "the daemon is $NEW_VERSION" "200 $NEW_VERSION" "$(api GET /info) $(field .version)"
check_eq "the VM kept its hypervisor process through the upgrade" "$PID" "$(ct systemctl show -p MainPID --value "$UNIT")"
check_eq "re-attached: same id, name, port; running" "200 $ID old $PORT running" \
    "$(api GET /vms/old) $(field .id) $(field .name) $(field .ssh_port) $(field .status)"
check "SSH after the upgrade" wait_for 30 ssh_ready "$PORT"
check_eq "the guest's files are there" before-upgrade "$(vmssh "$PORT" cat /home/user/marker)"
RECORD_AFTER=$(ct cat "/var/lib/scalebox/vms/$ID/vm.json")
same_vm() { jq -r '[.id, .name, .mac, .ssh_port, .guest_address, .process.pid] | join(" ")'; }
check_eq "the record keeps the VM (id, name, MAC, port, address, pid)" "$(echo "$RECORD_BEFORE" | same_vm)" \
    "$(echo "$RECORD_AFTER" | same_vm)"
# The format this tree writes (VmRecord.VERSION); the new daemon migrates older records at its start.
RECORD_VERSION=$(sed -n 's/.*static final int VERSION = \([0-9]*\);.*/\1/p' "$HERE/../../src/main/java/io/scalebox/vm/VmRecord.java")
check_eq "the record was migrated to version $RECORD_VERSION (was $(echo "$RECORD_BEFORE" | jq -r .version))" \
    "$RECORD_VERSION" "$(echo "$RECORD_AFTER" | jq -r .version)"

vmssh "$PORT" 'echo unsynced >/home/user/f'
check_eq "API stop after the upgrade" "200 stopped" "$(api POST /vms/old/stop) $(field .status)"
check "journal: the guest powered off by itself" sh -c "nsenter -t $CT_PID -a journalctl -q --no-pager -o cat | grep -q '$ID: guest powered off by itself'"
check_eq "start" "200 running" "$(api POST /vms/old/start) $(field .status)"
check "SSH after start" wait_for 120 ssh_ready "$PORT"
check_eq "the file written without sync before the stop survived" unsynced "$(vmssh "$PORT" cat /home/user/f)"
PID=$(ct systemctl show -p MainPID --value "$UNIT")
check_eq "QEMU runs as scalebox-vm" "$(ct id -u scalebox-vm)" "$(ct awk '/^Uid:/{print $2}' "/proc/$PID/status")"
check_eq "delete" 204 "$(api DELETE /vms/old)"
summary upgrade-previous
