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
HERE=${HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

vmct_start() {
    "$HERE/build-guest.sh" >/dev/null || return 1
    CT_IMAGE=bookworm-systemd-qemu.tar
    ct_start "$1" || return 1
    cp "$HERE/qmp-open.sh" "$CT_ROOT/root/qmp-open"
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
