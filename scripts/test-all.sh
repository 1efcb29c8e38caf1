#!/bin/bash
# The whole test suite, as CI runs it (needs root: containers, chroots).
#   1. mvn verify: unit and API tests, then the .deb (version A)
#   2. two more builds from a copy of the tree: the same version (must be
#      byte-identical: reproducible build) and a higher one (B, for upgrades)
#   3. lintian, piuparts, the lifecycle under a real systemd (nspawn), VMs as systemd
#      units in that container, the end-to-end suite with real guests, the guests' network
#      containment attacked (isolation.sh), the CLI against the real daemon, HTTPS through
#      Caddy and pebble, Prometheus scraping /metrics, the real debian-base build (host and
#      fresh install), the load test
# Ends with one line "tests: N passed, N failed" over everything.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
WORK=$(mktemp -d /var/tmp/scalebox-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
. scripts/test/lib.sh
scripts/install-deps.sh test

echo "== unit and API tests, package build"
mvn -B clean verify 2>&1 | tee "$WORK/mvn.log" | grep -E 'Tests run:|BUILD|ERROR|FAIL' || true
# Surefire's closing line: "Tests run: N, Failures: F, Errors: E, Skipped: S".
# shellcheck disable=SC2046 # the four counts become $1..$4
set -- $(sed -n -E 's/^\[[A-Z]+\] Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+)$/\1 \2 \3 \4/p' \
    "$WORK/mvn.log" | tail -n 1)
if [ $# -eq 4 ]; then
    PASSED=$((PASSED + $1 - $2 - $3 - $4)); FAILED=$((FAILED + $2 + $3))
fi
grep -q 'BUILD SUCCESS' "$WORK/mvn.log" || { fail "mvn verify" "$(grep ERROR "$WORK/mvn.log" | head -20)"; summary tests; exit 1; }
DEB_A=$(ls "$ROOT"/target/scalebox_*_amd64.deb)
VERSION=$(dpkg-deb -f "$DEB_A" Version)
VERSION_B=$VERSION+test1

echo "== second build (reproducibility) and version $VERSION_B (upgrade tests)"
build_copy() { # build_copy DIR MAVEN-ARGS...
    mkdir -p "$1"
    tar --exclude=./target --exclude=./.git -cf - . | tar -x -C "$1"
    (cd "$1" && shift && mvn -B -q -o package -DskipTests "$@") >"$WORK/build-$(basename "$1").log" 2>&1
}
check "second build of $VERSION" build_copy "$WORK/again"
check "second build is byte-identical (reproducible)" cmp "$DEB_A" "$WORK/again/target/scalebox_${VERSION}_amd64.deb"
check "build of $VERSION_B" build_copy "$WORK/b" "-Ddeb.version=$VERSION_B"
DEB_B=$WORK/b/target/scalebox_${VERSION_B}_amd64.deb

echo "== shellcheck (every shell script: maintainer scripts, builder, launchers, tests; .shellcheckrc)"
# shellcheck disable=SC2046 # one file per word; no path in the tree has white space
check "shellcheck is clean" shellcheck $(grep -rlE '^#!(/bin/sh|/bin/bash)' scripts debian .ci | sort) \
    scripts/completion/scalebox scripts/bench/bench-env.sh

echo "== cached images"
scripts/test/cache-images.sh || { fail "cache images"; summary tests; exit 1; }

for suite in "lint.sh $DEB_A" "token-argv.sh" "piuparts.sh $DEB_A" "lifecycle.sh $DEB_A $DEB_B $VERSION_B" \
    "vm-systemd.sh $DEB_A $DEB_B $VERSION_B" "e2e.sh $ROOT/target" "isolation.sh $ROOT/target" "cli.sh $ROOT/target" \
    "https.sh $ROOT/target" "metrics.sh $ROOT/target" "base.sh $ROOT/target $DEB_A" "load.sh $ROOT/target 60"; do
    echo "== ${suite%% *}"
    # shellcheck disable=SC2086
    scripts/test/$suite | tee "$WORK/suite.log"
    # shellcheck disable=SC2046 # the two counts become $1 and $2
    set -- $(sed -n 's/^[^ ]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$WORK/suite.log" | tail -n 1)
    if [ $# -eq 2 ]; then
        PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2))
    else
        fail "suite ${suite%% *} did not finish"
    fi
done
echo "=="
summary tests
