#!/bin/sh
# Builds (once) the cached images the package tests need:
#   $CACHE/bookworm-systemd.tar  a debootstrapped bookworm with systemd, booted by nspawn
#   $CACHE/bookworm-systemd-qemu.tar  the same with QEMU and an SSH client (VMs under systemd)
#   $CACHE/piuparts-base.tgz     piuparts' base chroot
# Each is rebuilt when its recipe (this file) changes: the recipe hash is stored beside it.
set -eu
CACHE=${SCALEBOX_TEST_CACHE:-/var/cache/scalebox-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$CACHE"
recipe=$(sha256sum "$0" | cut -d' ' -f1)

fresh() { [ -s "$CACHE/$1" ] && [ "$(cat "$CACHE/$1.recipe" 2>/dev/null)" = "$recipe" ]; }

# make_root IMAGE EXTRA_PACKAGES: a debootstrapped bookworm with systemd, as a tarball.
make_root() {
    echo "cache-images: debootstrapping $1 (about a minute)"
    root=$(mktemp -d "$CACHE/root.XXXXXX")
    chmod 0755 "$root"
    # Packages the scalebox .deb depends on are included so that installing it
    # inside the container needs no network.
    debootstrap --variant=minbase \
        --include=systemd,systemd-sysv,dbus,curl,adduser,acl,iproute2,nftables,e2fsprogs,init-system-helpers,procps,"debootstrap,zstd,debian-archive-keyring$2" \
        bookworm "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/debootstrap.log"; rm -rf "$root"; exit 1; }
    # The operator's host runs systemd-networkd (package.md: the bridge is a networkd bridge).
    chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
    # Like a real host, the container has an uplink with a default route, so
    # network-online.target is reached at once and HOST_IP detection has a route.
    # It is a veth pair inside the container's private network namespace (no
    # dummy module here): uplink0 192.0.2.10 (TEST-NET-1), its peer the "gateway".
    printf '[NetDev]\nName=uplink0\nKind=veth\n\n[Peer]\nName=gateway0\n' \
        >"$root/etc/systemd/network/10-uplink.netdev"
    printf '[Match]\nName=uplink0\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
        >"$root/etc/systemd/network/10-uplink.network"
    printf '[Match]\nName=gateway0\n\n[Network]\nAddress=192.0.2.1/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n\n[Link]\nRequiredForOnline=no\n' \
        >"$root/etc/systemd/network/10-gateway.network"
    echo scalebox-test >"$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 scalebox-test\n' >"$root/etc/hosts"
    rm -f "$root/var/cache/apt/archives/"*.deb
    tar -C "$root" -cf "$CACHE/$1.tmp" .
    mv "$CACHE/$1.tmp" "$CACHE/$1"
    echo "$recipe" >"$CACHE/$1.recipe"
    rm -rf "$root"
}

fresh bookworm-systemd.tar || make_root bookworm-systemd.tar ""
fresh bookworm-systemd-qemu.tar || make_root bookworm-systemd-qemu.tar ",qemu-system-x86,openssh-client,jq,socat"

if ! fresh piuparts-base.tgz; then
    echo "cache-images: building piuparts base tarball (about two minutes)"
    # piuparts saves the base before testing a package; a tiny archive package is enough.
    piuparts --no-eatmydata -d bookworm -m "$MIRROR" --save "$CACHE/piuparts-base.tgz.tmp" \
        --apt hostname >"$CACHE/piuparts-base.log" 2>&1 \
        || { tail -30 "$CACHE/piuparts-base.log"; exit 1; }
    mv "$CACHE/piuparts-base.tgz.tmp" "$CACHE/piuparts-base.tgz"
    echo "$recipe" >"$CACHE/piuparts-base.tgz.recipe"
fi
echo "cache-images: ready in $CACHE"
