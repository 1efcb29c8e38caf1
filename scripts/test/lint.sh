#!/bin/bash
# lintian on the .deb: no error, no warning, no override that is not needed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DEB=$1
out=$(lintian --display-info --show-overrides --profile debian "$DEB" 2>&1 | grep -v '^running with root')
echo "lint: lintian $(basename "$DEB")"
check_eq "lintian: no errors" "" "$(printf '%s\n' "$out" | grep '^E:')"
check_eq "lintian: no warnings" "" "$(printf '%s\n' "$out" | grep '^W:')"
check_eq "lintian: every override is used" "" "$(printf '%s\n' "$out" | grep 'unused-override')"
summary lint
