#!/bin/bash
# Puts this machine back to how a fresh one of CI's kind is, before a rehearsal of the suite
# (root): /dev/net/tun 0600 root without ACL entries (no udev), no scalebox-vm or scalebox-net account, no
# leftover test containers, namespaces, hypervisors, mounts, work directories or units, and
# (unless --keep-caches) no test cache ($SCALEBOX_TEST_CACHE) and no Maven repository.
# The packages install-deps.sh installs stay: CI installs them first on a fresh machine too.
# Only what the test suites make is touched, each found by the names they give it.
# Usage: reset-host.sh [--keep-caches]
set -u
CACHE=${SCALEBOX_TEST_CACHE:-/var/cache/scalebox-test}
KEEP_CACHES=""
case "${1:-}" in
    --keep-caches) KEEP_CACHES=yes ;;
    "") ;;
    *) echo "usage: $0 [--keep-caches]" >&2; exit 64 ;;
esac
[ "$(id -u)" = 0 ] || { echo "reset-host: run as root" >&2; exit 1; }
say() { echo "reset-host: $*"; }

# Test containers (nspawn on /var/tmp/scalebox-ct.*) and the processes the suites started:
# hypervisors, daemons and tools whose command lines name the suites' work directories.
for pid in $(pgrep -f 'systemd-nspawn -D /var/tmp/scalebox-' 2>/dev/null); do
    say "ending test container (nspawn $pid)"; kill "$pid" 2>/dev/null
done
for pid in $(pgrep -f '/var/tmp/scalebox-' 2>/dev/null); do
    [ "$pid" != $$ ] || continue
    say "ending test process $pid: $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-100)"
    kill "$pid" 2>/dev/null
done
sleep 1
for pid in $(pgrep -f '/var/tmp/scalebox-' 2>/dev/null); do [ "$pid" = $$ ] || kill -9 "$pid" 2>/dev/null; done
for account in scalebox-vm scalebox-net; do
    for pid in $(pgrep -u "$account" 2>/dev/null); do
        say "ending process $pid of $account"; kill -9 "$pid" 2>/dev/null
    done
done

# Mounts under the suites' work directories (btrfs images of the benchmarks, chroots).
grep -o ' /var/tmp/scalebox-[^ ]*' /proc/mounts | sort -r | while read -r m; do
    say "unmounting $m"; umount -l "$m"
done
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^sb'); do
    say "deleting network namespace $ns"; ip netns del "$ns"
done
if [ -d /run/systemd/system ]; then
    for unit in $(systemctl list-units --all --plain --no-legend 'scalebox-vm-*' 'scalebox-forwarder-*' 2>/dev/null \
        | awk '{print $1}'); do
        say "stopping unit $unit"; systemctl kill --signal=SIGKILL "$unit"; systemctl stop "$unit"
    done
fi
rm -rf /var/tmp/scalebox-* /run/scalebox

for account in scalebox-vm scalebox-net; do
    if getent passwd "$account" >/dev/null; then say "deleting the account $account"; userdel "$account"; fi
    if getent group "$account" >/dev/null; then groupdel "$account"; fi
done
if [ -c /dev/net/tun ]; then
    command -v setfacl >/dev/null && setfacl -b /dev/net/tun
    chown root:root /dev/net/tun
    chmod 0600 /dev/net/tun
    say "/dev/net/tun: $(stat -c '%A %U:%G' /dev/net/tun)"
fi
if nft list tables 2>/dev/null | grep -q 'scalebox'; then
    # Tests keep their tables in their own namespaces; one here is a bug to look at, not to hide.
    say "WARNING: the host's own ruleset has scalebox tables (left as they are): $(nft list tables | grep scalebox | tr '\n' ' ')"
fi
if [ -z "$KEEP_CACHES" ]; then
    say "removing the test cache $CACHE and the Maven repository ~/.m2/repository"
    rm -rf "$CACHE" "$HOME/.m2/repository"
fi
say "done"
