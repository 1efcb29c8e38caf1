#!/bin/sh
# Prints the path of the last release's .deb (scripts/release/previous), building it first
# from the repository's history when the cache lacks it: $CACHE/previous/<commit>/.
# Needs the clone's history (not a shallow clone) and Maven Central or a filled ~/.m2.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${SCALEBOX_TEST_CACHE:-/var/cache/scalebox-test}
commit=$(sed -n 's/^commit=//p' "$ROOT/scripts/release/previous")
version=$(sed -n 's/^version=//p' "$ROOT/scripts/release/previous")
out=$CACHE/previous/$commit
deb=$out/scalebox_${version}_amd64.deb
if [ ! -s "$deb" ]; then
    git -C "$ROOT" cat-file -e "$commit^{commit}" 2>/dev/null || {
        echo "previous-deb: commit $commit (release $version) is not in this clone's history;" \
            "clone without --depth, or git fetch --unshallow" >&2
        exit 1
    }
    work=$(mktemp -d /var/tmp/scalebox-previous.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    git -C "$ROOT" archive "$commit" | tar -x -C "$work"
    echo "previous-deb: building release $version from $commit (a few minutes)" >&2
    (cd "$work" && mvn -B -q package -DskipTests -Ddeb.version="$version") >"$work.log" 2>&1 \
        || { tail -n 30 "$work.log" >&2; rm -f "$work.log"; exit 1; }
    rm -f "$work.log"
    mkdir -p "$out"
    cp "$work/target/scalebox_${version}_amd64.deb" "$deb.tmp"
    mv "$deb.tmp" "$deb"
fi
echo "$deb"
