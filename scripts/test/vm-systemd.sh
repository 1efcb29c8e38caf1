#!/bin/bash
# VMs under a real systemd (package.md, engine.md): the packaged daemon in a booted
# bookworm container (systemd-nspawn, private network) starts each VM as a transient
# unit scalebox-vm-<id> in scalebox.slice; VMs outlive `systemctl restart scaleboxd`;
# `apt-get remove` stops them. QEMU runs under TCG inside the container.
# A VM also survives an upgrade to a newer .deb, and a reboot of the container (booted
# again by AUTOSTART, its disk intact). Every stop that keeps a VM (API stop, container
# reboot, apt-get remove) shuts the guest down cleanly: a file written without sync just
# before it is there afterwards; a guest that ignores the power button is forced after
# VM_STOP_TIMEOUT, and the journal says which happened. The hypervisor runs as the
# unprivileged scalebox-vm in a sandbox (uid, capabilities, seccomp, what QMP can open,
# systemd-analyze's exposure); a corrupted guest filesystem fails a snapshot or create cleanly.
# Usage: vm-systemd.sh DEB DEB_NEWER VERSION_NEWER
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/container.sh"
. "$HERE/vm-container.sh"
DEB=$1 DEB_B=$2 VERSION_B=$3
# systemd-analyze's exposure of a VM unit (0 safest, 10 unconfined; measured 2026-12: see docs/benchmarks.md).
MAX_VM_EXPOSURE=1.5
MAX_DAEMON_EXPOSURE=5.0
trap ct_stop EXIT

echo "vm-systemd: booting a bookworm container with systemd and QEMU (its /dev/net/tun 0600 root: no udev)"
vmct_start "sbvm$$" || exit 1
check_here "install the package" vmct_install "$DEB"
# tun_acl: the node's ACL on one line (getfacl without its header).
tun_acl() { ct getfacl -p --omit-header /dev/net/tun | grep -v '^$' | tr '\n' ' '; }
TUN_GRANTED="user::rw- user:scalebox-vm:rw- group::--- mask::rw- other::--- "
check_eq "/dev/net/tun: an ACL entry for scalebox-vm, nothing for anyone else" "$TUN_GRANTED" "$(tun_acl)"

check_eq "create a VM" 201 "$(api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"unit\"}")"
ID=$(field .id); PORT=$(field .ssh_port); UNIT=scalebox-vm-$ID.service
check_eq "VM runs in its own unit" active "$(ct systemctl is-active "$UNIT")"
check_eq "unit is in scalebox.slice" scalebox.slice "$(ct systemctl show -p Slice --value "$UNIT")"
check_eq "MemoryMax from the VM size (256 MiB + 256 MiB overhead)" 536870912 "$(ct systemctl show -p MemoryMax --value "$UNIT")"
check_eq "CPUQuota from the vCPUs" 1s "$(ct systemctl show -p CPUQuotaPerSecUSec --value "$UNIT")"
check "ExecStop asks the guest (scaleboxd --stop-vm)" sh -c "nsenter -t $CT_PID -a systemctl show -p ExecStop --value $UNIT | grep -q -- '--stop-vm --hypervisor qemu --timeout 20'"
check_eq "TimeoutStopSec: VM_STOP_TIMEOUT + 15 s" 35s "$(ct systemctl show -p TimeoutStopUSec --value "$UNIT")"
check "stopped before networking at shutdown (After=network.target)" sh -c "nsenter -t $CT_PID -a systemctl show -p After --value $UNIT | grep -qw network.target"
check "SSH through the daemon's port" wait_for 120 ssh_ready "$PORT"
PID=$(ct systemctl show -p MainPID --value "$UNIT")
# /metrics reads a unit's figures from its cgroup (the whole VM, not one process); this host's
# hierarchy is hybrid (unified at /sys/fs/cgroup/unified), Debian's default is unified only.
metric() { ct curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/metrics | sed -n "s/^$1{id=\"$ID\",[^}]*} //p"; }
cg_cpu() { ct sh -c "cat /sys/fs/cgroup/unified/scalebox.slice/$UNIT/cpu.stat /sys/fs/cgroup/scalebox.slice/$UNIT/cpu.stat 2>/dev/null" | awk '$1 == "usage_usec" { printf "%.6f\n", $2 / 1e6 }'; }
CPU_BEFORE=$(cg_cpu); M_CPU=$(metric scalebox_vm_cpu_seconds_total); CPU_AFTER=$(cg_cpu)
check "metrics: CPU seconds are the unit's cgroup's ($CPU_BEFORE <= $M_CPU <= $CPU_AFTER)" awk -v b="$CPU_BEFORE" -v m="$M_CPU" -v a="$CPU_AFTER" 'BEGIN { exit !(b != "" && m != "" && b + 0 > 0 && m + 0 >= b - 0.001 && m + 0 <= a + 0.001) }'
M_MEM=$(metric scalebox_vm_memory_used_bytes)
check "metrics: memory in use ($M_MEM) is above 0 and within the unit's MemoryMax" awk -v m="$M_MEM" 'BEGIN { exit !(m + 0 > 0 && m + 0 <= 536870912) }'

echo "vm-systemd: least privilege"
VMUID=$(ct id -u scalebox-vm)
status_of() { ct awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$PID/status"; }
check "the package made the system account scalebox-vm" test -n "$VMUID"
check_eq "QEMU runs as scalebox-vm (real, effective, saved, fs uid)" "$VMUID $VMUID $VMUID $VMUID" "$(status_of Uid | tr -s '\t ' ' ')"
check_eq "QEMU has no capabilities, none to gain" "0000000000000000 0000000000000000 1" "$(status_of CapEff) $(status_of CapBnd) $(status_of NoNewPrivs)"
check_eq "QEMU runs under seccomp filters (the unit's and -sandbox)" 2 "$(status_of Seccomp)"
check_eq "the TAP belongs to scalebox-vm" "$VMUID" "$(ct cat "/sys/class/net/sbx$(echo "$ID" | cut -c4-13)/owner")"
check_eq "the disk is scalebox-vm's alone" "scalebox-vm 600" "$(ct stat -c '%U %a' "/var/lib/scalebox/vms/$ID/rootfs.ext4")"
check_eq "vm.json stays root's" "root 600" "$(ct stat -c '%U %a' "/var/lib/scalebox/vms/$ID/vm.json")"
EXPOSURE=$(ct systemd-analyze security --no-pager "$UNIT" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
echo "  systemd-analyze security $UNIT: $EXPOSURE"
check "systemd-analyze security: exposure ($EXPOSURE) at most $MAX_VM_EXPOSURE" awk -v e="$EXPOSURE" -v max="$MAX_VM_EXPOSURE" 'BEGIN { exit !(e != "" && e + 0 <= max + 0) }'
QMP_SOCK=/var/lib/scalebox/vms/$ID/ctl/qmp.sock
# qmp_says FILE PATTERN: QMP's answers to opening FILE match PATTERN.
qmp_says() { ct /root/qmp-open "$QMP_SOCK" "$1" | grep -q "$2"; }
check_eq "QMP: QEMU may open a file of its own (the probe works)" 3 "$(ct /root/qmp-open "$QMP_SOCK" "/var/lib/scalebox/vms/$ID/console.log" | grep -c '"return": {}')"
check "QMP: QEMU cannot open /etc/shadow" qmp_says /etc/shadow "Could not open '/etc/shadow': Permission denied"
check "QMP: QEMU cannot open its vm.json (root's)" qmp_says "/var/lib/scalebox/vms/$ID/vm.json" 'Permission denied'
check "QMP: other VMs' data and the templates are not even there" qmp_says /var/lib/scalebox/templates/debian-base.ext4 'No such file or directory'
check "QMP: QEMU cannot write the system" qmp_says /usr/bin/qemu-system-x86_64 'Read-only file system\|Permission denied'

echo "vm-systemd: a corrupted guest filesystem"
check_eq "create a second VM" 201 "$(api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"crafted\"}")"
BAD=$(field .id)
check_eq "stop it" 200 "$(api POST /vms/crafted/stop '{"force":true}')"
check "it snapshots while whole (the probe works)" test "$(api POST /vms/crafted/snapshot '{"template_name":"crafted-whole"}')" = 201
# Garbage over the superblock and every backup of it, as a hostile guest's root could write
# (garbage over the primary alone, e2fsck repairs from a backup).
IMG=/var/lib/scalebox/vms/$BAD/rootfs.ext4
BS=$(ct dumpe2fs -h "$IMG" 2>/dev/null | sed -n 's/^Block size: *//p')
for block in 0 $(ct dumpe2fs "$IMG" 2>/dev/null | sed -n 's/.*Backup superblock at \([0-9]*\).*/\1/p'); do
    ct dd if=/dev/urandom of="$IMG" bs="$BS" seek="$block" count=1 conv=notrunc status=none
done
HOST_FILES=$(ct sh -c 'ls -lA /etc; find /tmp /var/tmp -maxdepth 1 ! -name "systemd-private-*"; sha256sum /etc/passwd /etc/shadow /etc/group')
TOOL_UNITS=$(ct systemctl list-units --all --no-legend --plain 'run-*' | wc -l)
check_eq "snapshot of it fails (500 snapshot_failed)" "500 snapshot_failed" "$(api POST /vms/crafted/snapshot '{"template_name":"crafted"}') $(field .code)"
check "the error names the tool" sh -c "nsenter -t $CT_PID -a jq -r .error /root/body | grep -q '^Snapshot failed: e2fsck'"
check_eq "no template and no partial file" "" "$(ct ls -A /var/lib/scalebox/templates | grep crafted | grep -v crafted-whole || true)"
ct cp --sparse=always "/var/lib/scalebox/vms/$BAD/rootfs.ext4" /var/lib/scalebox/templates/crafted.ext4
check_eq "a VM from a corrupted template fails (500 disk_failed)" "500 disk_failed" "$(api POST /vms "{\"template\":\"crafted\",\"ssh_public_key\":\"$KEY\",\"name\":\"crafted2\"}") $(field .code)"
check "that error names the phase and the tool" sh -c "nsenter -t $CT_PID -a jq -r .error /root/body | grep -q '^Failed to create VM (key): e2fsck'"
check_eq "and leaves no VM" "404" "$(api GET /vms/crafted2)"
check_eq "the VM directories are the two VMs'" 2 "$(ct ls /var/lib/scalebox/vms | grep -c '^vm-')"
check_eq "no tool unit left behind" "$TOOL_UNITS" "$(ct systemctl list-units --all --no-legend --plain 'run-*' | wc -l)"
check_eq "the host's files are untouched" "$HOST_FILES" "$(ct sh -c 'ls -lA /etc; find /tmp /var/tmp -maxdepth 1 ! -name "systemd-private-*"; sha256sum /etc/passwd /etc/shadow /etc/group')"
check_eq "delete the VM" 204 "$(api DELETE /vms/crafted)"
check_eq "delete the templates" "204 204" "$(api DELETE /templates/crafted) $(api DELETE /templates/crafted-whole)"
DAEMON_EXPOSURE=$(ct systemd-analyze security --no-pager scaleboxd.service | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
echo "  systemd-analyze security scaleboxd.service: $DAEMON_EXPOSURE"
check "systemd-analyze security: the daemon's exposure ($DAEMON_EXPOSURE) at most $MAX_DAEMON_EXPOSURE" awk -v e="$DAEMON_EXPOSURE" -v max="$MAX_DAEMON_EXPOSURE" 'BEGIN { exit !(e != "" && e + 0 <= max + 0) }'

echo "vm-systemd: restarts drop nothing (sessions, API requests, event streams)"
# The forwarder holds the VM ports in a unit of its own, as the unprivileged scalebox-net.
forwarder_units() { ct systemctl list-units --no-legend --plain 'scalebox-forwarder-*' | awk '{print $1}'; }
FWD_UNIT=$(forwarder_units)
FWD_PID=$(ct systemctl show -p MainPID --value "$FWD_UNIT")
check "one forwarder unit, in scalebox.slice" test "$(echo "$FWD_UNIT" | wc -w)" = 1 -a \
    "$(ct systemctl show -p Slice --value "$FWD_UNIT")" = scalebox.slice
FWDUID=$(ct id -u scalebox-net)
check_eq "the forwarder runs as scalebox-net without capabilities" "$FWDUID 0000000000000000 0000000000000000" \
    "$(ct awk '/^Uid:/{print $2}' "/proc/$FWD_PID/status") $(ct awk '/^CapEff:/{print $2}' "/proc/$FWD_PID/status") $(ct awk '/^CapBnd:/{print $2}' "/proc/$FWD_PID/status")"
check_eq "the API socket is systemd's (scaleboxd.socket)" "active 0.0.0.0:8080 (Stream)" \
    "$(ct systemctl is-active scaleboxd.socket) $(ct systemctl show -p Listen --value scaleboxd.socket)"
# events: the ids the stream delivers after Last-Event-ID $1 (a second of listening).
events_after() { ct curl -sN --max-time 2 -H "Authorization: Bearer $TOKEN" -H "Last-Event-ID: $1" http://127.0.0.1:8080/events | sed -n 's/^id://p' | tr -d ' '; }
LAST_EVENT=$(events_after 0 | tail -n 1)
disruption_start "$PORT"
check "restart scaleboxd" ct systemctl restart scaleboxd
disruption_end "restart"
check_eq "VM survived the restart (same process)" "$PID" "$(ct systemctl show -p MainPID --value "$UNIT")"
check_eq "the forwarder too (same unit and process)" "$FWD_UNIT $FWD_PID" "$(forwarder_units) $(ct systemctl show -p MainPID --value "$FWD_UNIT")"
RESUMED=$(events_after "$LAST_EVENT")
check "the event stream resumes after the restart with the next id, no gap" sh -c \
    "[ -n '$RESUMED' ] && [ '$(echo "$RESUMED" | head -n 1)' = $((LAST_EVENT + 1)) ] && [ '$(echo "$RESUMED" | awk 'NR > 1 && $1 != prev + 1 {bad = 1} {prev = $1} END {print bad + 0}')' = 0 ]"
check "a client whose last event is no longer held is told so (events.missed)" sh -c \
    "nsenter -t $CT_PID -a curl -sN --max-time 2 -H 'Authorization: Bearer $TOKEN' -H 'Last-Event-ID: 1' http://127.0.0.1:8080/events | grep -m1 '^event:' | grep -q 'events.missed'"
disruption_start "$PORT"
check "kill -9 of the daemon" ct systemctl kill --signal=SIGKILL scaleboxd
disruption_end "kill -9" 1
check "systemd started the daemon again" wait_for 30 sh -c "nsenter -t $CT_PID -a systemctl is-active -q scaleboxd"
check_eq "still listed as running" "200 running $PORT" "$(api GET /vms/unit) $(field .status) $(field .ssh_port)"
check "SSH after the daemon's restart" wait_for 30 ssh_ready "$PORT"
# clean_stops: how many clean stops of the VM the journal holds (all boots).
clean_stops() { ct journalctl -q --no-pager -o cat | grep -c "$ID: guest powered off by itself in"; }
# journal_has WHAT PATTERN: the journal has a line matching PATTERN.
journal_has() { ct journalctl -q --no-pager -o cat | grep -q "$2"; }
# No sync: only a clean shutdown keeps what is still in the guest's page cache.
vmssh "$PORT" 'echo unsynced-stop >/home/user/unsynced'
check_eq "stop 200" 200 "$(api POST /vms/unit/stop)"
check "unit gone after stop" sh -c "! nsenter -t $CT_PID -a systemctl is-active -q $UNIT"
check "journal: the guest powered off by itself" journal_has stop "$ID: guest powered off by itself in"
check_eq "start 200" 200 "$(api POST /vms/unit/start)"
check_eq "unit back after start" active "$(ct systemctl is-active "$UNIT")"
check "SSH after stop/start" wait_for 120 ssh_ready "$PORT"
check_eq "file written without sync survives stop/start" unsynced-stop "$(vmssh "$PORT" cat /home/user/unsynced)"

echo "vm-systemd: a guest that ignores the power button"
vmssh "$PORT" 'sudo touch /etc/scalebox-test/ignore-power-button && sync' 2>/dev/null
check "systemctl stop of the unit ends it after the timeout" ct systemctl stop "$UNIT"
check "journal (ExecStop helper): forced after the timeout" journal_has helper "$ID: guest did not power off within 20 s; forcing it off"
check_eq "start boots a VM whose unit was stopped outside the daemon" "200 running" "$(api POST /vms/unit/start) $(field .status)"
check "SSH after that start" wait_for 120 ssh_ready "$PORT"
check_eq "API stop of the ignoring guest 200" "200 stopped" "$(api POST /vms/unit/stop) $(field .status)"
check_eq "journal (daemon): forced after the timeout" 2 "$(ct journalctl -q --no-pager -o cat | grep -c "$ID: guest did not power off within 20 s")"
check_eq "start 200" "200 running" "$(api POST /vms/unit/start) $(field .status)"
check "SSH again" wait_for 120 ssh_ready "$PORT"
vmssh "$PORT" 'sudo rm /etc/scalebox-test/ignore-power-button && sync' 2>/dev/null
check_eq "stop --force 200" "200 stopped" "$(api POST /vms/unit/stop '{"force":true}') $(field .status)"
check_eq "start 200" "200 running" "$(api POST /vms/unit/start) $(field .status)"
echo "vm-systemd: a paused VM across the upgrade and the reboot"
check_eq "create sleeper" 201 "$(api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"sleeper\"}")"
S_ID=$(field .id); S_PORT=$(field .ssh_port)
check "sleeper: SSH" wait_for 120 ssh_ready "$S_PORT"
# /run is memory only: it comes back with a resume, never with a boot (not /dev/shm: logind
# empties a user's share of it when the user's last session ends).
vmssh "$S_PORT" 'echo only-in-memory | sudo tee /run/sleeper-mark >/dev/null'
check_eq "sleeper: pause" "200 paused" "$(api POST /vms/sleeper/pause) $(field .status)"
check_eq "sleeper: its unit has ended" inactive "$(ct systemctl is-active "scalebox-vm-$S_ID.service")"
echo "vm-systemd: upgrade with a running VM"
check "SSH before the upgrade" wait_for 120 ssh_ready "$PORT"
PID=$(ct systemctl show -p MainPID --value "$UNIT")
vmssh "$PORT" 'echo before-upgrade >/home/user/marker && sync'
FWD_UNIT=$(forwarder_units)
disruption_start "$PORT"
check "apt-get install the newer .deb" ct_install "$DEB_B"
check_eq "the new forwarder took the ports over; the old one drains its sessions" 2 "$(forwarder_units | wc -l)"
disruption_end "upgrade"
check "the old forwarder exits once its last session has ended" wait_for 30 sh -c \
    "[ \"\$(nsenter -t $CT_PID -a systemctl list-units --no-legend --plain 'scalebox-forwarder-*' | awk '{print \$1}')\" != '$FWD_UNIT' ] && [ \$(nsenter -t $CT_PID -a systemctl list-units --no-legend --plain 'scalebox-forwarder-*' | wc -l) = 1 ]"
check_eq "daemon reports $VERSION_B" "$VERSION_B" "$(ct curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/info | ct jq -r .version)"
check_eq "VM kept running through the upgrade" "$PID" "$(ct systemctl show -p MainPID --value "$UNIT")"
check_eq "same id, name and port" "200 $ID unit $PORT" "$(api GET /vms/unit) $(field .id) $(field .name) $(field .ssh_port)"
check "SSH after the upgrade" wait_for 30 ssh_ready "$PORT"

check_eq "sleeper: still paused after the upgrade" "200 paused" "$(api GET /vms/sleeper) $(field .status)"
check_eq "sleeper: resume after the upgrade" "200 running" "$(api POST /vms/sleeper/resume) $(field .status)"
check_eq "sleeper: what it had in memory is there" only-in-memory "$(vmssh "$S_PORT" cat /run/sleeper-mark)"
check_eq "sleeper: pause before the reboot" "200 paused" "$(api POST /vms/sleeper/pause) $(field .status)"

echo "vm-systemd: reboot"
vmssh "$PORT" 'echo unsynced-reboot >/home/user/unsynced'
CLEAN=$(clean_stops)
ct_reboot || { check "apt-get purge" ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q scalebox
check "purge leaves no VM data" sh -c "! nsenter -t $CT_PID -a test -e /var/lib/scalebox"
summary vm-systemd; exit 1; }
check "daemon active after the reboot" wait_for 60 sh -c "nsenter -t $CT_PID -a systemctl is-active -q scaleboxd"
check_eq "the reboot made /dev/net/tun anew; the daemon gave the account its entry again" "$TUN_GRANTED" "$(tun_acl)"
check_eq "same id, name and port after the reboot" "200 $ID unit $PORT running" "$(api GET /vms/unit) $(field .id) $(field .name) $(field .ssh_port) $(field .status)"
check_eq "VM booted again in its unit (AUTOSTART)" active "$(ct systemctl is-active "$UNIT")"
check "SSH after the reboot" wait_for 120 ssh_ready "$PORT"
check_eq "file written before the upgrade is there" before-upgrade "$(vmssh "$PORT" cat /home/user/marker)"
check_eq "file written without sync before the reboot is there" unsynced-reboot "$(vmssh "$PORT" cat /home/user/unsynced)"
check_eq "journal: the guest powered off by itself at the reboot" $((CLEAN + 1)) "$(clean_stops)"

check_eq "sleeper: still paused after the reboot (no AUTOSTART for it)" "200 paused" "$(api GET /vms/sleeper) $(field .status)"
check_eq "sleeper: resume after the reboot" "200 running" "$(api POST /vms/sleeper/resume) $(field .status)"
check_eq "sleeper: what it had in memory is there" only-in-memory "$(vmssh "$S_PORT" cat /run/sleeper-mark)"
check_eq "sleeper: delete" 204 "$(api DELETE /vms/sleeper)"

echo "vm-systemd: remove and reinstall"
vmssh "$PORT" 'echo unsynced-remove >/home/user/unsynced'
CLEAN=$(clean_stops)
check "apt-get remove" ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q scalebox
check "remove stopped the VM" sh -c "! nsenter -t $CT_PID -a systemctl is-active -q $UNIT"
check_eq "no VM process left" "" "$(ct pgrep -f qemu-system || true)"
check_eq "journal: the guest powered off by itself on remove" $((CLEAN + 1)) "$(clean_stops)"
check "reinstall" ct_install "$DEB_B"
check "daemon active after the reinstall" wait_for 60 sh -c "nsenter -t $CT_PID -a systemctl is-active -q scaleboxd"
check_eq "VM booted again (AUTOSTART)" active "$(ct systemctl is-active "$UNIT")"
check "SSH after the reinstall" wait_for 120 ssh_ready "$PORT"
check_eq "file written without sync before the remove is there" unsynced-remove "$(vmssh "$PORT" cat /home/user/unsynced)"
check "apt-get remove again" ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q scalebox
check "apt-get purge" ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q scalebox
check "purge leaves no VM data" sh -c "! nsenter -t $CT_PID -a test -e /var/lib/scalebox"
check_eq "purge took the ACL entry away: /dev/net/tun is 0600 root again" "user::rw- group::--- other::--- crw-------" \
    "$(tun_acl)$(ct stat -c %A /dev/net/tun)"
summary vm-systemd
