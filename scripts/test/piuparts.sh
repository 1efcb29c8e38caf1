#!/bin/bash
# piuparts install/purge test of the .deb in a clean bookworm chroot (base tarball cached).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DEB=$1
CACHE=${SCALEBOX_TEST_CACHE:-/var/cache/scalebox-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
"$HERE/cache-images.sh" >/dev/null || { fail "piuparts base tarball"; summary piuparts; exit 1; }
log=$(mktemp)
echo "piuparts: install, purge and leftovers of $(basename "$DEB")"
if piuparts --no-eatmydata -d bookworm -m "$MIRROR" -b "$CACHE/piuparts-base.tgz" "$DEB" >"$log" 2>&1 \
    && grep -q "PASS: All tests" "$log"; then
    pass "piuparts install/purge"
else
    fail "piuparts install/purge" "$(grep -E 'FAIL|ERROR' "$log" | head -20)"
fi
rm -f "$log"
summary piuparts
