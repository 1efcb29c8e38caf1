#!/bin/bash
# The debian-base template and the guest kernel, built for real from Debian packages:
#  1. `scalebox template build debian-base` on this host (downloads cached in
#     $CACHE/debootstrap): what it makes, --if-missing, the lock, a failed build
#     keeping the previous template;
#  2. VMs from it through the daemon under QEMU TCG (network namespaces of engine-env.sh):
#     SSH as user, sudo, the exported kernel, hostname, DNS, locales, distinct host keys and
#     machine ids, a snapshot that boots; /info and the 503s when kernel or template are missing;
#  3. a fresh install of the .deb under real systemd (nspawn) builds it by itself in the
#     background (a local file:// mirror made of the cached packages stands in for the network).
# Usage: base.sh TARGET_DIR DEB
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
DEB=$(readlink -f "$2")
. "$HERE/engine-env.sh"
. "$HERE/container.sh"
DEBS=$CACHE/debootstrap
BUILT=$WORK/built

cleanup() {
    ct_stop
    [ -z "${LOCK_PID:-}" ] || { pkill -P "$LOCK_PID" sleep; kill "$LOCK_PID"; } 2>/dev/null
    engine_cleanup 30
}
trap cleanup EXIT

# The CLI from the build tree, its builder and package list from scripts/.
cli_wrapper "$WORK/bin"
sb() { SCALEBOX_BASE_PACKAGES="$ROOT/scripts/debian-base.packages" "$WORK/bin/scalebox" "$@"; }

echo "base: scalebox template build debian-base (on this host)"
mkdir -p "$BUILT/kernel/6.0.0-unused" "$BUILT/kernel/6.0.0-used" "$BUILT/vms/vm-0123456789ab"
printf 'DATA_DIR=%s\nINITRD_PATH=%s/kernel/initrd.img\n' "$BUILT" "$BUILT" >"$WORK/build.conf"
# Kernels of earlier builds: one a VM still boots, one nothing uses any more.
echo '{"id":"vm-0123456789ab","kernel_version":"6.0.0-used"}' >"$BUILT/vms/vm-0123456789ab/vm.json"
start=$(date +%s)
if sb template build debian-base --config "$WORK/build.conf" --cache-dir "$DEBS" >"$WORK/build.log" 2>&1; then
    pass "template build debian-base ($(($(date +%s) - start)) s)"
else
    fail "template build debian-base" "$(tail -n 8 "$WORK/build.log")"
    summary base; exit 1
fi
check "progress lines, step by step" sh -c "grep -q '\[1/6\] debootstrap' '$WORK/build.log' && grep -q '\[6/6\]' '$WORK/build.log'"
check "a closing line names what was built" grep -q 'debian-base is ready: Debian .*, kernel ' "$WORK/build.log"
KVER=$(cat "$BUILT/kernel/version" 2>/dev/null)
check "metadata: json with versions, date and size" jq -e --arg k "$KVER" \
    '.name == "debian-base" and .kernel_version == $k and (.debian_version | length > 0) and (.built_at | test("Z$")) and .size_bytes > 0' \
    "$BUILT/templates/debian-base.json"
check_eq "the kernel is an ELF vmlinux" 7f454c46 "$(head -c 4 "$BUILT/kernel/vmlinux" | od -An -tx1 | tr -d ' \n')"
check "an initrd beside it" test -s "$BUILT/kernel/initrd.img"
check_eq "kept under its version too (the same files)" "$(stat -c %i "$BUILT/kernel/vmlinux" "$BUILT/kernel/initrd.img")" \
    "$(stat -c %i "$BUILT/kernel/$KVER/vmlinux" "$BUILT/kernel/$KVER/initrd.img" 2>&1)"
check "an earlier kernel that a VM uses is kept" test -d "$BUILT/kernel/6.0.0-used"
check "an earlier kernel nothing uses is removed" test ! -e "$BUILT/kernel/6.0.0-unused"
rm -rf "$BUILT/kernel/6.0.0-used" "$BUILT/vms"
check "nothing half-built left" sh -c "! ls -A '$BUILT/templates' '$BUILT/kernel' | grep -q 'partial\|^\.build$'"
check "no mounts left" sh -c "! grep -q '$BUILT' /proc/mounts"
image=$BUILT/templates/debian-base.ext4
check "image: user is uid 1000" sh -c "debugfs -R 'cat /etc/passwd' '$image' 2>/dev/null | grep -q '^user:x:1000:1000:'"
check "image: no password login for user" sh -c "debugfs -R 'cat /etc/shadow' '$image' 2>/dev/null | grep -q '^user:\*:'"
check "image: passwordless sudo" sh -c "debugfs -R 'cat /etc/sudoers.d/scalebox-user' '$image' 2>/dev/null | grep -q 'NOPASSWD:ALL'"
check "image: no SSH host keys (made per VM)" sh -c "! debugfs -R 'ls /etc/ssh' '$image' 2>/dev/null | grep -q ssh_host_"
check "image: empty machine-id (made per VM)" sh -c "debugfs -R 'stat /etc/machine-id' '$image' 2>/dev/null | grep -q 'Size: 0'"
check "image: the modules of the exported kernel" sh -c "debugfs -R 'ls /lib/modules' '$image' 2>/dev/null | grep -qF '$KVER'"
check "image: apt sources name the release" sh -c "debugfs -R 'cat /etc/apt/sources.list' '$image' 2>/dev/null | grep -q '^deb .* main'"

sb template build debian-base --config "$WORK/build.conf" --cache-dir "$DEBS" --if-missing >"$WORK/out" 2>&1
check "--if-missing does nothing when built" grep -q "already built; nothing to do" "$WORK/out"

before=$(stat -c '%i %Y' "$image")
# -o: flock itself holds the lock, so ending it (and its sleep) frees the lock.
flock -o "$BUILT/templates/.build.lock" sleep 30 &
LOCK_PID=$!
sleep 0.5
sb template build debian-base --config "$WORK/build.conf" >"$WORK/out" 2>&1
rc=$?
check "a second build at the same time is refused" sh -c "[ $rc -ne 0 ] && grep -q 'another build of debian-base is running' '$WORK/out'"
pkill -P "$LOCK_PID" sleep; wait "$LOCK_PID" 2>/dev/null; LOCK_PID=""  # flock ends with its sleep
sb template build debian-base --config "$WORK/build.conf" --mirror http://127.0.0.1:9/debian >"$WORK/out" 2>&1
rc=$?
check "a build that cannot download fails, naming the mirror" \
    sh -c "[ $rc -ne 0 ] && grep -q 'debootstrap failed (mirror http://127.0.0.1:9/debian' '$WORK/out'"
check_eq "a failed build keeps the previous template" "$before" "$(stat -c '%i %Y' "$image")"
check "a failed build leaves nothing behind" sh -c "[ ! -e '$BUILT/templates/.build' ] && ! grep -q '$BUILT' /proc/mounts"
sb template build debian-base --mirror ftp://x >"$WORK/out" 2>&1
check_eq "a bad --mirror is a usage error (2)" 2 "$?"

echo "base: VMs from it through the daemon (QEMU TCG)"
# The daemon's DATA_DIR holds the build's kernel directory and metadata, as on a server.
mkdir -p "$DATA/templates"
cp -a "$BUILT/kernel" "$DATA/kernel"
cp "$BUILT/templates/debian-base.json" "$DATA/templates/"
ENGINE_KERNEL=$DATA/kernel/vmlinux ENGINE_INITRD=$DATA/kernel/initrd.img ENGINE_BASE=$image
# A systemd guest under emulation gets as long as it needs to shut down (a forced stop here
# would be a failure, not a slow pass).
ENGINE_CONFIG="MAX_MEM_SIZE_MIB=2048
VM_STOP_TIMEOUT=600"
engine_start || { summary base; exit 1; }
api GET /info >/dev/null
check "/info: kernel and debian-base ready" jq -e '.kernel_ready and .base_template_ready' "$WORK/body"
check "/info: the base build's versions" jq -e --arg k "$KVER" \
    '.base_template.kernel_version == $k and (.base_template.debian_version | length > 0)' "$WORK/body"
create() { # create NAME TEMPLATE -> port in $PORT
    api POST /vms "{\"template\":\"$2\",\"ssh_public_key\":\"$KEY\",\"name\":\"$1\",\"mem_size_mib\":512,\"vcpu_count\":1}" >/dev/null
    PORT=$(field .ssh_port)
    check_eq "create $1 from $2" 201 "$(status)"
}
create basea debian-base; PORT_A=$PORT
create baseb debian-base; PORT_B=$PORT
start=$(date +%s)
# Two systemd guests booting at once under emulation on two cores: allow minutes.
check "basea: SSH as user through the host port" wait_for 400 ssh_ready "$PORT_A"
check "baseb: SSH as user through the host port" wait_for 400 ssh_ready "$PORT_B"
echo "  (both answered SSH after $(($(date +%s) - start)) s)"
api GET /vms/basea >/dev/null
ID_A=$(field .id)
check_eq "the VM records its template's kernel" "$KVER" "$(jq -r .kernel_version "$DATA/vms/$ID_A/vm.json")"
check "and QEMU boots that version's files" grep -qF -- "-kernel $DATA/kernel/$KVER/vmlinux" \
    <<<"$(tr '\0' ' ' </proc/"$(jq -r .process.pid "$DATA/vms/$ID_A/vm.json")"/cmdline)"
check_eq "logged in as user, uid 1000" "user 1000" "$(vmssh "$PORT_A" 'echo $(id -un) $(id -u)')"
check "sudo -n true" vmssh "$PORT_A" sudo -n true
check_eq "uname -r is the exported kernel's" "$KVER" "$(vmssh "$PORT_A" uname -r)"
check_eq "hostname is the VM's name" basea "$(vmssh "$PORT_A" hostname)"
check_eq "systemd reached a running system" running \
    "$(vmssh "$PORT_A" 'timeout 120 systemctl is-system-running --wait')"
check_eq "the guest agent runs on its virtio-serial port (Debian's unit)" active \
    "$(vmssh "$PORT_A" systemctl is-active qemu-guest-agent)"
check_eq "the vsock agent (Firecracker's) is skipped under QEMU" inactive \
    "$(vmssh "$PORT_A" systemctl is-active scalebox-agent-vsock)"
. "$HERE/agent-checks.sh"
agent_checks basea
locales=$(vmssh "$PORT_A" 'locale -a')
check "locales: C.utf8 and en_US.utf8" sh -c "echo '$locales' | grep -qx C.utf8 && echo '$locales' | grep -qx en_US.utf8"
check "mosh-server, curl, ip are installed" vmssh "$PORT_A" 'command -v mosh-server && command -v curl && command -v ip'
# mosh-server refuses to start without a UTF-8 locale; it exits by itself when no client comes.
check "mosh-server starts in a login session (UTF-8 locale)" \
    grep -q "MOSH CONNECT 60001" <<<"$(vmssh "$PORT_A" 'mosh-server new -p 60001 -- /bin/true 2>&1')"
# `scalebox connect` with mosh installed: SSH starts mosh-server, then UDP through the host's
# forward of the same port. script(1) gives mosh the terminal it needs.
mkdir -p "$WORK/home/.config/scalebox"
cp "$WORK/key" "$WORK/home/.config/scalebox/id_ed25519"; cp "$WORK/key.pub" "$WORK/home/.config/scalebox/id_ed25519.pub"
{ sleep 10; echo 'echo MOSH-$((6*7))'; sleep 4; echo exit; } | timeout 60 ip netns exec "$CLIENT_NS" env -i \
    PATH=/usr/bin:/bin HOME="$WORK/home" TERM=xterm LANG=C.UTF-8 SCALEBOX_HOST="$API" SCALEBOX_TOKEN="$TOKEN" \
    script -qfec "stty rows 24 cols 80; $WORK/bin/scalebox connect basea" /dev/null >"$WORK/mosh.out" 2>&1
check "scalebox connect over mosh (UDP through the host port) runs a command" grep -aq 'MOSH-42' "$WORK/mosh.out"
check "and mosh ends cleanly" grep -aq 'mosh is exiting' "$WORK/mosh.out"
check_eq "a login prompt on the serial console" active "$(vmssh "$PORT_A" systemctl is-active serial-getty@ttyS0)"
check_eq "password authentication is off" "passwordauthentication no" \
    "$(vmssh "$PORT_A" sudo sshd -T | grep -x 'passwordauthentication no')"
check_eq "eth0 has the address from ip=" 1 "$(vmssh "$PORT_A" 'ip -4 -o addr show eth0' | grep -c 'inet 172.16.')"
check_eq "default route via the bridge" "172.16.0.1" "$(vmssh "$PORT_A" "ip route show default | awk '{print \$3}'")"
check "resolv.conf is resolved's stub" vmssh "$PORT_A" 'readlink /etc/resolv.conf | grep -q stub-resolv.conf'
# The daemon's choice: resolved's upstreams first, loopback resolvers skipped.
host_dns=$(cat /run/systemd/resolve/resolv.conf /etc/resolv.conf 2>/dev/null \
    | awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ && $2 !~ /^127\./ {print $2; exit}')
if [ -n "$host_dns" ]; then
    check "the host's DNS server reaches the guest (ip= → networkd)" \
        grep -qF "$host_dns" <<<"$(vmssh "$PORT_A" resolvectl dns eth0)"
fi
keyscan() { client ssh-keyscan -t ed25519 -p "$1" 192.0.2.1 2>/dev/null | awk '{print $3}'; }
KEY_A=$(keyscan "$PORT_A"); KEY_B=$(keyscan "$PORT_B")
check "two VMs from debian-base have different SSH host keys" sh -c "[ -n '$KEY_A' ] && [ '$KEY_A' != '$KEY_B' ]"
MID_A=$(vmssh "$PORT_A" cat /etc/machine-id); MID_B=$(vmssh "$PORT_B" cat /etc/machine-id)
check "and different machine ids" sh -c "[ -n '$MID_A' ] && [ '$MID_A' != '$MID_B' ]"

vmssh "$PORT_A" 'echo from-basea >/home/user/mark; sync'
api POST /vms/basea/snapshot '{"template_name":"base-snap"}' >/dev/null
check_eq "snapshot of a debian-base VM" 201 "$(status)"
api DELETE /vms/baseb >/dev/null
create basec base-snap; PORT_C=$PORT
check "the snapshot boots: SSH" wait_for 300 ssh_ready "$PORT_C"
check_eq "it has the file written before the snapshot" from-basea "$(vmssh "$PORT_C" cat /home/user/mark)"
KEY_C=$(keyscan "$PORT_C")
check "its host key is its own" sh -c "[ -n '$KEY_C' ] && [ '$KEY_C' != '$KEY_A' ]"
check "its machine id is its own" sh -c "[ '$(vmssh "$PORT_C" cat /etc/machine-id)' != '$MID_A' ]"
check "sudo works there too" vmssh "$PORT_C" sudo -n true
check "the source VM still answers" ssh_ready "$PORT_A"
check_eq "the snapshot's metadata names its source and kernel" "$ID_A $KVER" \
    "$(jq -r '"\(.source_vm) \(.kernel_version)"' "$DATA/templates/base-snap.json")"

echo "base: a newer latest kernel does not change what existing VMs boot"
rm "$DATA/kernel/vmlinux"
echo "not a kernel" >"$DATA/kernel/vmlinux"
ID_C=$(jq -r '.vms[] | select(.name == "basec") | .id' <<<"$(api GET /vms)")
check "logind watches the ACPI power button" \
    grep -q 'Watching system buttons on .* (Power Button)' <<<"$(vmssh "$PORT_C" sudo journalctl -b -u systemd-logind)"
vmssh "$PORT_C" 'echo unsynced-base >/home/user/unsynced'
api POST /vms/basec/stop >/dev/null
check_eq "stop of a debian-base VM" "200 stopped" "$(status) $(field .status)"
check "debian-base powered off by itself on the power button" grep -q "$ID_C: guest powered off by itself in" "$WORK/daemon.log"
check "systemd shut it down (console)" grep -q 'reboot: Power down' "$DATA/vms/$ID_C/console.log"
api POST /vms/basec/start >/dev/null
check_eq "the snapshot's VM starts again" 200 "$(status)"
check "on its own kernel: SSH" wait_for 300 ssh_ready "$PORT_C"
check_eq "a file written without sync survived the stop" unsynced-base "$(vmssh "$PORT_C" cat /home/user/unsynced)"
ln -f "$DATA/kernel/$KVER/vmlinux" "$DATA/kernel/vmlinux"

echo "base: missing kernel or template: /info and 503 naming the fix"
daemon_stop
sed -i "s|^KERNEL_PATH=.*|KERNEL_PATH=$WORK/missing/vmlinux|" "$WORK/config"
daemon_start
api GET /info >/dev/null
check_eq "/info: kernel_ready false" false "$(field .kernel_ready)"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
check_eq "create without a kernel: 503" 503 "$(status)"
check "its message names the command" grep -q "Guest kernel not found at $WORK/missing/vmlinux: run 'sudo scalebox template build debian-base'" "$WORK/body"
daemon_stop
sed -i "s|^KERNEL_PATH=.*|KERNEL_PATH=$DATA/kernel/vmlinux|" "$WORK/config"
mv "$DATA/templates/debian-base.ext4" "$WORK/base.away"
daemon_start
api GET /info >/dev/null
check_eq "/info: base_template_ready false" "true false" "$(field '"\(.kernel_ready) \(.base_template_ready)"')"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
check_eq "create from a missing debian-base: 503" 503 "$(status)"
check "its message names the command" grep -q "debian-base is not built yet: run 'sudo scalebox template build debian-base'" "$WORK/body"
api POST /vms "{\"template\":\"nope\",\"ssh_public_key\":\"$KEY\"}" >/dev/null
check_eq "another missing template stays 404" 404 "$(status)"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"vcpu_count\":0}" >/dev/null
check_eq "bad input is still a 400 first" 400 "$(status)"
api GET /vms >/dev/null
check_eq "running VMs are untouched" 2 "$(field '.vms | length')"
engine_stop

echo "base: a fresh install builds it in the background (real systemd, nspawn)"
# A local mirror of exactly the cached packages, with an unsigned Release ("trusted=yes").
mirror=$WORK/mirror
mkdir -p "$mirror/pool" "$mirror/dists/stable/main/binary-amd64"
cp -l "$DEBS"/*.deb "$mirror/pool/" 2>/dev/null || cp "$DEBS"/*.deb "$mirror/pool/"
codename=$(jq -r .codename "$BUILT/templates/debian-base.json")
(cd "$mirror" && apt-ftparchive packages pool >dists/stable/main/binary-amd64/Packages 2>/dev/null \
    && gzip -9k dists/stable/main/binary-amd64/Packages \
    && apt-ftparchive -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename="$codename" \
        -o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main \
        release dists/stable >"$WORK/Release" && mv "$WORK/Release" dists/stable/Release)
chmod -R a+rX "$mirror"
CT_NSPAWN_ARGS="--bind-ro=$mirror:/srv/mirror"
ct_start sbbase || { summary base; exit 1; }
printf 'deb [trusted=yes] file:///srv/mirror stable main\n' >"$CT_ROOT/etc/apt/sources.list"
rm -f "$CT_ROOT/etc/apt/sources.list.d/"*
start=$(date +%s)
check "apt-get install ./scalebox.deb" ct_install "$DEB"
echo "  (install took $(($(date +%s) - start)) s; the build runs on in the background)"
started() { ct journalctl -u scalebox-base-build --no-pager | grep -q '\[1/6\]'; }
check "the build unit was started by the install" wait_for 60 started
built() { [ "$(ct systemctl show -p ActiveState --value scalebox-base-build)" = inactive ]; }
check "the background build finishes" wait_for 900 built
check_eq "and succeeds" success "$(ct systemctl show -p Result --value scalebox-base-build)"
ct journalctl -u scalebox-base-build --no-pager >"$WORK/journal" 2>&1
check "the journal shows every step" sh -c "for n in 1 2 3 4 5 6; do grep -q \"\[\$n/6\]\" '$WORK/journal' || exit 1; done"
check "and the result" grep -q "debian-base is ready" "$WORK/journal"
check "the template, kernel and initrd are in place" \
    ct test -s /var/lib/scalebox/templates/debian-base.ext4 -a -s /var/lib/scalebox/kernel/vmlinux -a -s /var/lib/scalebox/kernel/initrd.img
ct scalebox --json status >"$WORK/out" 2>&1
check "scalebox status (root, no login): kernel and debian-base ready" jq -e '.kernel_ready and .base_template_ready' "$WORK/out"
# template_built: the daemon's event history has template.built for debian-base (it looks every 5 s).
template_built() {
    ct sh -c 'curl -sN --max-time 3 -H "Authorization: Bearer $(sed -n "s/^API_TOKEN=//p" /etc/scalebox/config)" -H "Last-Event-ID: 0" http://127.0.0.1:8080/events' \
        | sed -n 's/^data://p' | jq -r 'select(.type == "template.built") | .detail' | grep -qx debian-base
}
check "GET /events: template.built (debian-base)" wait_for 30 template_built
check "starting the unit again is safe: nothing to do" ct systemctl start scalebox-base-build
check "it said so" sh -c "nsenter -t $CT_PID -a journalctl -u scalebox-base-build --no-pager | grep -q 'nothing to do'"
check "scalebox template build --if-missing: nothing to do" sh -c \
    "nsenter -t $CT_PID -a scalebox template build debian-base --if-missing 2>&1 | grep -q 'nothing to do'"
check "apt-get purge" ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q scalebox
check "purge removed templates, kernel and the download cache" ct sh -c '! test -e /var/lib/scalebox && ! test -e /var/cache/scalebox'

summary base
