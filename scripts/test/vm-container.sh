# A booted bookworm container (container.sh) in which the package runs the test guest under
# QEMU TCG, as VMs in systemd units: shared by vm-systemd.sh and upgrade-previous.sh. Source
# lib.sh and container.sh first, then:
#   vmct_start NAME      builds the test guest if needed, boots the container (QEMU image, a
#                        persistent journal), the guest's kernel and initrd in /srv/guest
#   vmct_install DEB     installs DEB, makes the test guest debian-base, sets QEMU_ACCEL=tcg and
#                        small VMs, restarts scaleboxd; sets TOKEN and KEY (an SSH key in /root/key)
#   api METHOD PATH [JSON]  the HTTP status; the body in the container's /root/body (field reads it)
#   field JQ             a field of the last body
#   vmssh PORT CMD...    runs CMD in a VM as user, through the daemon's port
#   ssh_ready PORT       the VM answers SSH
#   disruption_start PORT / disruption_end NAME   around a restart, an upgrade or a kill of the daemon:
#                        an SSH session printing a line every 100 ms and 20 API requests a second;
#                        the end checks that the session lost no line and no request was refused
HERE=${HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

vmct_start() {
    "$HERE/build-guest.sh" >/dev/null || return 1
    CT_IMAGE=bookworm-systemd-qemu.tar
    ct_start "$1" || return 1
    cp "$HERE/qmp-open.sh" "$CT_ROOT/root/qmp-open"
    cp "$HERE/poll.sh" "$CT_ROOT/root/poll"
    mkdir -p "$CT_ROOT/srv/guest"
    cp --sparse=always "$CACHE/guest/vmlinux" "$CACHE/guest/initrd.img" "$CT_ROOT/srv/guest/"
    # A persistent journal: the lines of a boot before a reboot are checked after it.
    ct mkdir -p /var/log/journal
    ct systemctl restart systemd-journald
}

vmct_install() {
    ct_install "$1" || return 1
    cp --sparse=always "$CACHE/guest/rootfs.ext4" "$CT_ROOT/var/lib/scalebox/templates/debian-base.ext4"
    ct sed -i -e 's|^QEMU_ACCEL=.*|QEMU_ACCEL=tcg|' -e 's|^KERNEL_PATH=.*|KERNEL_PATH=/srv/guest/vmlinux|' \
        -e 's|^INITRD_PATH=.*|INITRD_PATH=/srv/guest/initrd.img|' -e 's|^DEFAULT_MEM_SIZE_MIB=.*|DEFAULT_MEM_SIZE_MIB=256|' \
        -e 's|^DEFAULT_VCPU_COUNT=.*|DEFAULT_VCPU_COUNT=1|' -e 's|^VM_STOP_TIMEOUT=.*|VM_STOP_TIMEOUT=20|' \
        /etc/scalebox/config
    ct systemctl restart scaleboxd || return 1
    TOKEN=$(ct sed -n 's/^API_TOKEN=//p' /etc/scalebox/config)
    ct rm -f /root/key /root/key.pub
    ct ssh-keygen -q -t ed25519 -N '' -f /root/key
    KEY=$(ct cat /root/key.pub)
}

api() {
    ct curl -s -o /root/body -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        ${3:+--data-binary "$3"} "http://127.0.0.1:8080$2"
}
field() { ct jq -r "$1" /root/body; }
vmssh() {
    ct ssh -q -i /root/key -p "$1" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=10 -o BatchMode=yes user@127.0.0.1 "${@:2}"
}
ssh_ready() { vmssh "$1" true; }

# disruption_start PORT: through the VM's port, a session printing 1..150 (15 s); and /health
# polled 300 times (about 15 s); both in the background.
disruption_start() {
    rm -f "$CT_ROOT/root/session.out" "$CT_ROOT/root/session.rc" "$CT_ROOT/root/poll.out"
    (vmssh "$1" 'for i in $(seq 1 150); do echo $i; sleep 0.1; done' >"$CT_ROOT/root/session.out" 2>&1
        echo $? >"$CT_ROOT/root/session.rc") &
    DISRUPTION_SESSION=$!
    ct /root/poll http://127.0.0.1:8080/health 300 >"$CT_ROOT/root/poll.out" 2>&1 &
    DISRUPTION_POLL=$!
    # Under way before the disruption: the session has printed and the poller has had answers.
    wait_for 60 sh -c "[ \$(wc -l <'$CT_ROOT/root/session.out') -ge 5 ] && [ \$(wc -l <'$CT_ROOT/root/poll.out') -ge 5 ]"
}

# disruption_end WHAT [RETRIES]: the session printed every line and ended well; no API request was
# refused or failed (RETRIES: how many may have been cut in flight and retried, 0 by default).
disruption_end() {
    wait "$DISRUPTION_SESSION" "$DISRUPTION_POLL"
    check_eq "$1: the SSH session lost no line and ended well" "150 lines, 0" \
        "$(seq 1 150 | cmp -s - "$CT_ROOT/root/session.out" && echo "150 lines" || tail -n 3 "$CT_ROOT/root/session.out"), $(cat "$CT_ROOT/root/session.rc")"
    check_eq "$1: 300 API requests, none refused or failed" "300 0" \
        "$(wc -l <"$CT_ROOT/root/poll.out") $(grep -vc -e '^200$' -e '^retried 200$' "$CT_ROOT/root/poll.out")"
    check "$1: at most ${2:-0} cut in flight and retried ($(grep -c '^retried' "$CT_ROOT/root/poll.out"))" \
        test "$(grep -c '^retried' "$CT_ROOT/root/poll.out")" -le "${2:-0}"
}
