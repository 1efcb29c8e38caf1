#!/bin/bash
# The whole test suite, as CI runs it (needs root: containers, chroots), or the suites named:
#   scripts/test-all.sh [SUITE...]
# SUITE (all of them by default, in this order): unit reproducible shellcheck lint token-argv
# piuparts lifecycle vm-systemd upgrade-previous e2e isolation cli https metrics agent pause warm fleet base load.
#   unit              mvn verify: unit and API tests (otherwise the package is built without them)
#   reproducible      a second build of the same version must be byte-identical
#   lint, piuparts    lintian; install/purge in a clean chroot; and the suite "shellcheck" checks
#                     every shell script (.shellcheckrc)
#   lifecycle, vm-systemd  the package and its VMs under a real systemd (nspawn), upgraded to a
#                     build of a higher version (B)
#   upgrade-previous  a VM of the last release (scripts/release/previous, built from git history)
#                     through the upgrade to this tree's package
#   e2e isolation cli https metrics agent pause warm base load  real guests under QEMU behind the daemon
#   fleet             three etcd members and three daemons in namespaces: fleet mode and its failures
# Every suite sets up the host state it needs and puts back what it changed, so any subset runs
# in any order on a fresh machine (scripts/test/reset-host.sh makes one).
# Ends with one line "tests: N passed, N failed" over everything.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
ALL="unit reproducible shellcheck lint token-argv piuparts lifecycle vm-systemd upgrade-previous e2e isolation cli https metrics agent pause warm fleet base load"
SUITES=${*:-$ALL}
for s in $SUITES; do
    case " $ALL " in *" $s "*) ;; *) echo "test-all: unknown suite '$s' (suites: $ALL)" >&2; exit 64 ;; esac
done
selected() { case " $SUITES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
WORK=$(mktemp -d /var/tmp/scalebox-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
. scripts/test/lib.sh
scripts/install-deps.sh test

if selected unit; then
    echo "== unit and API tests, package build"
    mvn -B clean verify 2>&1 | tee "$WORK/mvn.log" | grep -E 'Tests run:|BUILD|ERROR|FAIL' || true
    # Surefire's closing line: "Tests run: N, Failures: F, Errors: E, Skipped: S".
    # shellcheck disable=SC2046 # the four counts become $1..$4
    set -- $(sed -n -E 's/^\[[A-Z]+\] Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+)$/\1 \2 \3 \4/p' \
        "$WORK/mvn.log" | tail -n 1)
    if [ $# -eq 4 ]; then
        PASSED=$((PASSED + $1 - $2 - $3 - $4)); FAILED=$((FAILED + $2 + $3))
    fi
else
    echo "== package build (no unit tests)"
    mvn -B clean package -DskipTests >"$WORK/mvn.log" 2>&1
fi
grep -q 'BUILD SUCCESS' "$WORK/mvn.log" || { fail "mvn" "$(grep ERROR "$WORK/mvn.log" | head -20)"; summary tests; exit 1; }
DEB_A=$(ls "$ROOT"/target/scalebox_*_amd64.deb)
VERSION=$(dpkg-deb -f "$DEB_A" Version)
VERSION_B=$VERSION+test1
DEB_B=$WORK/b/target/scalebox_${VERSION_B}_amd64.deb

build_copy() { # build_copy DIR MAVEN-ARGS...
    mkdir -p "$1"
    tar --exclude=./target --exclude=./.git -cf - . | tar -x -C "$1"
    (cd "$1" && shift && mvn -B -q -o package -DskipTests "$@") >"$WORK/build-$(basename "$1").log" 2>&1
}
if selected reproducible; then
    echo "== second build (reproducibility)"
    check "second build of $VERSION" build_copy "$WORK/again"
    check "second build is byte-identical (reproducible)" cmp "$DEB_A" "$WORK/again/target/scalebox_${VERSION}_amd64.deb"
fi
if selected lifecycle || selected vm-systemd; then
    echo "== build of version $VERSION_B (upgrade tests)"
    check "build of $VERSION_B" build_copy "$WORK/b" "-Ddeb.version=$VERSION_B"
fi
if selected upgrade-previous; then
    echo "== the last release's package (scripts/release/previous)"
    if DEB_PREVIOUS=$(scripts/release/previous-deb.sh); then
        pass "build of the last release: $(basename "$DEB_PREVIOUS")"
    else
        fail "build of the last release"
    fi
fi
if selected shellcheck; then
    echo "== shellcheck (every shell script: maintainer scripts, builder, launchers, tests; .shellcheckrc)"
    # shellcheck disable=SC2046 # one file per word; no path in the tree has white space
    check "shellcheck is clean" shellcheck $(grep -rlE '^#!(/bin/sh|/bin/bash)' scripts debian .ci | sort) \
        scripts/completion/scalebox scripts/bench/bench-env.sh
fi

for name in $SUITES; do
    case $name in
        unit|reproducible|shellcheck) continue ;;
        lint|piuparts) args="$DEB_A" ;;
        token-argv) args="" ;;
        lifecycle|vm-systemd) args="$DEB_A $DEB_B $VERSION_B" ;;
        upgrade-previous) args="${DEB_PREVIOUS:-missing} $DEB_A" ;;
        base) args="$ROOT/target $DEB_A" ;;
        load) args="$ROOT/target 60" ;;
        *) args="$ROOT/target" ;;
    esac
    echo "== $name"
    # shellcheck disable=SC2086 # the arguments are words without white space
    scripts/test/$name.sh $args | tee "$WORK/suite.log"
    # shellcheck disable=SC2046 # the two counts become $1 and $2
    set -- $(sed -n 's/^[^ ]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$WORK/suite.log" | tail -n 1)
    if [ $# -eq 2 ]; then
        PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2))
    else
        fail "suite $name did not finish"
    fi
done
echo "=="
summary tests
