#!/bin/sh
# Installs the Debian packages Scalebox needs to build (build) or to build and
# run its whole test suite (test). Idempotent; apt-get runs only when something is missing.
set -eu
BUILD="openjdk-17-jdk-headless maven binutils"
TEST="$BUILD acl systemd-container debootstrap lintian piuparts curl iproute2 jq
      qemu-system-x86 nftables e2fsprogs openssh-client lz4 zstd cpio socat wrk bc
      bash-completion apt-utils debian-archive-keyring mosh shellcheck strace
      caddy pebble openssl python3 prometheus etcd-server etcd-client"
case "${1:-}" in
    build) want=$BUILD ;;
    test) want=$TEST ;;
    *) echo "usage: $0 build|test" >&2; exit 64 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# The test tools (caddy, prometheus, etcd) must not start as host services: the tests run their own
# inside network namespaces. Without a policy of the host's own, one refuses starts meanwhile.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
