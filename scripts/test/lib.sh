# Shared by the package tests: pass/fail bookkeeping and bounded waiting.
# Source it; call `check NAME CMD...`, `check_eq NAME EXPECTED ACTUAL`, then `summary`.
PASSED=${PASSED:-0}
FAILED=${FAILED:-0}
FAILURES=${FAILURES:-}

pass() { PASSED=$((PASSED + 1)); printf '  ok    %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); FAILURES="$FAILURES
  - $1"; printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '        %s\n' "$2"; }

check() {
    name=$1; shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(printf '%s' "$out" | tail -5)"; fi
}

# check_here NAME CMD...: as check, but CMD runs in this shell, so the variables it sets stay set.
check_here() {
    local what=$1 log
    shift
    log=$(mktemp)
    if "$@" >"$log" 2>&1; then pass "$what"; else fail "$what" "$(tail -5 "$log")"; fi
    rm -f "$log"
}

check_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected [$2], got [$3]"; fi
}

# wait_for SECONDS CMD...: retries CMD every 0.2 s until it succeeds or time runs out.
wait_for() {
    deadline=$(($(date +%s) + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# Prints the plain closing line CI reads and returns non-zero on any failure.
summary() {
    [ -z "$FAILURES" ] || printf 'failures:%s\n' "$FAILURES"
    printf '%s: %d passed, %d failed\n' "$1" "$PASSED" "$FAILED"
    [ "$FAILED" -eq 0 ]
}

# Benchmarks: milliseconds since the epoch, and the median of numbers given on stdin.
ms() { date +%s%3N; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
