#!/bin/bash
# Builds the test guest from Debian packages only, into $CACHE/guest/:
#   vmlinux      the Debian cloud kernel, decompressed to an ELF image (QEMU and Firecracker boot it)
#   initrd.img   busybox initrd that loads the virtio modules and switches to /dev/vda
#   rootfs.ext4  debootstrap minbase + OpenSSH, user "user" (uid 1000, passwordless sudo),
#                and a minimal init that configures eth0 from the kernel's ip= argument and
#                shuts down cleanly on the ACPI power button (QEMU) and Ctrl-Alt-Del
#                (Firecracker), unless /etc/scalebox-test/ignore-power-button exists; qemu-guest-agent
#                on the virtio-serial port org.qemu.guest_agent.0, started again when it exits
#                unless /etc/scalebox-test/no-agent exists (the hostile-agent tests)
# Cached; rebuilt when this recipe changes.
set -eu
CACHE=${SCALEBOX_TEST_CACHE:-/var/cache/scalebox-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
OUT=$CACHE/guest
recipe=$(sha256sum "$0" | cut -d' ' -f1)
if [ -s "$OUT/rootfs.ext4" ] && [ "$(cat "$OUT/recipe" 2>/dev/null)" = "$recipe" ]; then
    echo "build-guest: cached in $OUT"; exit 0
fi
echo "build-guest: building the test guest (about two minutes)"
work=$(mktemp -d /var/tmp/scalebox-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"  # apt-get download runs as _apt
cd "$work"

# Kernel and its modules.
kpkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/ *Depends: //p' | head -n 1)
[ -n "$kpkg" ] || { apt-get update -q >/dev/null; kpkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/ *Depends: //p' | head -n 1); }
apt-get download -q "$kpkg" busybox-static >/dev/null
dpkg-deb -x "$kpkg"_*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox
kver=${kpkg#linux-image-}
# The bzImage's payload is lz4: decompress from the frame magic 02 21 4c 18.
offset=$(grep -obUaP '\x02\x21\x4c\x18' "kernel/boot/vmlinuz-$kver" | head -n 1 | cut -d: -f1)
tail -c +"$((offset + 1))" "kernel/boot/vmlinuz-$kver" | lz4 -dc >vmlinux 2>/dev/null || true
[ "$(head -c 4 vmlinux | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "vmlinux is not ELF"; exit 1; }

# initrd: busybox, the virtio modules in dependency order, an init that mounts /dev/vda.
mkdir -p initrd/bin initrd/dev initrd/proc initrd/sys initrd/newroot initrd/modules
cp busybox/bin/busybox initrd/bin/
# Dependency order: virtio_ring before virtio, the transports before the devices.
# evdev and button: the ACPI power button as /dev/input/event*, for acpid in the guest.
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_mmio virtio_blk \
    failover net_failover virtio_net virtio-rng virtio_console evdev button; do
    f=$(find kernel/lib/modules -name "$m.ko*" | head -n 1)
    [ -n "$f" ] || continue
    cp "$f" initrd/modules/
    basename "$f" >>initrd/modules/order
done
for m in virtio_blk virtio_net virtio-rng virtio_console evdev button; do
    grep -q "^$m.ko" initrd/modules/order || { echo "module $m missing from the initrd"; exit 1; }
done
cat >initrd/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for f in $(cat /modules/order); do insmod "/modules/$f" 2>/dev/null; done
for _ in $(seq 1 50); do [ -b /dev/vda ] && break; sleep 0.1; done
mount -t ext4 -o rw /dev/vda /newroot || { echo "initrd: cannot mount /dev/vda"; exec sh; }
umount /proc /sys; mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
INIT
chmod 0755 initrd/init
(cd initrd && find . | cpio -o -H newc --quiet | gzip -9n) >initrd.img

# Root filesystem.
debootstrap --variant=minbase --include=openssh-server,iproute2,sudo,socat,iputils-arping,qemu-guest-agent,util-linux-extra bookworm rootfs "$MIRROR" \
    >debootstrap.log 2>&1 || { tail -20 debootstrap.log; exit 1; }
chroot rootfs useradd -m -u 1000 -U -s /bin/bash user
# "*": no password login, yet not "locked" for sshd with UsePAM no.
chroot rootfs usermod -p '*' user
echo 'user ALL=(ALL) NOPASSWD:ALL' >rootfs/etc/sudoers.d/user
chmod 0440 rootfs/etc/sudoers.d/user
rm -f rootfs/etc/ssh/ssh_host_*
cat >rootfs/etc/ssh/sshd_config.d/scalebox-test.conf <<'SSHD'
HostKey /etc/ssh/ssh_host_ed25519_key
UseDNS no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
SSHD
# busybox for acpid and poweroff/reboot -f (minbase has neither).
mkdir -p rootfs/usr/lib/scalebox-test rootfs/etc/acpi/PWRF rootfs/etc/scalebox-test
cp busybox/bin/busybox rootfs/usr/lib/scalebox-test/busybox
# busybox acpid runs this on the power button; init does the shutdown.
printf '#!/bin/sh\nkill -USR1 1\n' >rootfs/etc/acpi/PWRF/00000080
chmod 0755 rootfs/etc/acpi/PWRF/00000080
cat >rootfs/sbin/init <<'INIT'
#!/bin/sh
# Minimal init of the test guest: filesystems, eth0 from ip=, sshd, acpid; reaps children.
# Power button (acpid -> SIGUSR1): clean power off. Ctrl-Alt-Del (the kernel sends SIGINT):
# clean reboot, which ends Firecracker. Both ignored while
# /etc/scalebox-test/ignore-power-button exists (a guest that must be forced).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
BB=/usr/lib/scalebox-test/busybox
shut_down() {
    if [ -e /etc/scalebox-test/ignore-power-button ]; then
        echo "scalebox-test-guest: ignoring the $1 request" >/dev/console; return
    fi
    echo "scalebox-test-guest: $1 requested, shutting down" >/dev/console
    kill -TERM -1 2>/dev/null; sleep 0.5; kill -KILL -1 2>/dev/null
    sync; mount -o remount,ro / 2>/dev/null; sync
    echo "scalebox-test-guest: filesystems synced, $1" >/dev/console
    $BB "$1" -f
}
trap 'shut_down poweroff' USR1
trap 'shut_down reboot' INT
mount -t proc proc /proc; mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /run/sshd; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /tmp
ip link set lo up
# ip=<addr>::<gateway>:<netmask>::eth0:off
for arg in $(cat /proc/cmdline); do
    case "$arg" in ip=*) IFS=: read -r addr _ gw mask _ dev _ <<EOF2
${arg#ip=}
EOF2
    ;; esac
done
if [ -n "${addr:-}" ]; then
    bits=0; for o in $(echo "$mask" | tr . ' '); do
        while [ "$o" -gt 0 ]; do bits=$((bits + (o & 1))); o=$((o >> 1)); done
    done
    ip addr add "$addr/$bits" dev "${dev:-eth0}"; ip link set "${dev:-eth0}" up
    ip route add default via "$gw"
fi
# Host keys per VM, made at its first boot.
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
/usr/sbin/sshd -e
$BB acpid -c /etc/acpi
# The guest agent on its virtio-serial port (no udev here: the port's node is /dev/vportNpM).
agent_port() {
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] && echo "/dev/${p##*/}" && return
    done
}
agent() {
    port=$(agent_port)
    [ -n "$port" ] && [ ! -e /etc/scalebox-test/no-agent ] || return 0
    $BB pgrep -x qemu-ga >/dev/null || /usr/sbin/qemu-ga -m virtio-serial -p "$port" -l /var/log/qemu-ga.log &
}
agent
echo "scalebox-test-guest: ready at ${addr:-?}" >/dev/console
while :; do wait; sleep 1; agent; done
INIT
chmod 0755 rootfs/sbin/init
rm -rf rootfs/var/cache/apt/archives/*.deb rootfs/var/lib/apt/lists/*
mkfs.ext4 -q -F -L root -d rootfs rootfs.ext4 1G

mkdir -p "$OUT"
mv vmlinux initrd.img rootfs.ext4 "$OUT/"
echo "$kver" >"$OUT/kernel-version"
echo "$recipe" >"$OUT/recipe"
echo "build-guest: done ($kver)"
