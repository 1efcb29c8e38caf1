#!/bin/sh
# The API token never stands in a process's arguments (readable by every local user in
# /proc): postinst's create_config runs under strace, every execve is recorded, and the
# token it wrote must appear in none of them.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc" "$work/templates"
cp "$ROOT/config-templates/config" "$work/templates/config"
sed -n '/^new_token()/,/^}/p; /^create_config()/,/^}/p' "$ROOT/debian/control/postinst" >"$work/functions.sh"
printf 'CONF_DIR=%s/etc\nCONF=$CONF_DIR/config\nTEMPLATES=%s/templates\n. %s/functions.sh\ncreate_config\n' \
    "$work" "$work" "$work" >"$work/run.sh"
check "create_config under strace" strace -f -e trace=execve -s 65536 -o "$work/trace" sh "$work/run.sh"
token=$(sed -n 's/^API_TOKEN=//p' "$work/etc/config")
check_eq "a token of sb- and 48 hex characters was written" 1 "$(printf '%s\n' "$token" | grep -cE '^sb-[0-9a-f]{48}$')"
check "processes were started (the trace is not empty)" grep -q execve "$work/trace"
check_eq "the token is in no process's arguments" 0 "$(grep -c "$token" "$work/trace")"
check_eq "the file is 0600" 600 "$(stat -c %a "$work/etc/config")"
summary token-argv
