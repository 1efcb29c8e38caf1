# The start every engine benchmark shares. Set DEFAULT_RUNS, then source it: the test
# helpers (lib.sh), TARGET (BENCH_TARGET, else the build tree), RUNS (the benchmark's first
# argument, else DEFAULT_RUNS) and the engine harness of scripts/test/engine-env.sh.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../test/lib.sh
. "$ROOT/scripts/test/lib.sh"
TARGET=${BENCH_TARGET:-$ROOT/target}
# shellcheck disable=SC2034 # read by the benchmark that sources this
RUNS=${1:-${DEFAULT_RUNS:-3}}
# shellcheck source=../test/engine-env.sh
. "$ROOT/scripts/test/engine-env.sh"
