#!/bin/bash
# The scalebox CLI against the real daemon with real guests (QEMU TCG), in the network
# namespaces of scripts/test/engine-env.sh. Every command, its errors and exit codes,
# --json output, the configuration precedence, and bash completion.
# Usage: cli.sh TARGET_DIR (the Maven target directory with runtime/, scalebox.jar, lib/)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
# The version this build reports (the release step moves it: scripts/release/release.sh).
VERSION=$(sed -n 's/^version=//p' "$TARGET/classes/io/scalebox/version.properties")
. "$HERE/engine-env.sh"

trap 'engine_cleanup 30' EXIT
engine_start || exit 1

# The CLI as a user runs it: in the client namespace, a clean environment, its own home.
HOME_DIR=$WORK/home
mkdir -p "$HOME_DIR"
cli_wrapper "$WORK/bin"
SYSCONF=$WORK/etc-scalebox-config   # stands in for /etc/scalebox/config
CLI_ENV="SCALEBOX_HOST=$API SCALEBOX_TOKEN=$TOKEN"
# sb ARGS...: runs the CLI; stdout in $WORK/out, stderr in $WORK/err, exit code in $RC.
sb() {
    # shellcheck disable=SC2086
    client env -i PATH="$WORK/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$HOME_DIR" \
        SCALEBOX_SYSTEM_CONFIG="$SYSCONF" $CLI_ENV scalebox "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
    RC=$?
}
sb_in() { # sb_in STDIN ARGS...
    input=$1; shift
    # shellcheck disable=SC2086
    printf '%s\n' "$input" | client env -i PATH="$WORK/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$HOME_DIR" \
        SCALEBOX_SYSTEM_CONFIG="$SYSCONF" $CLI_ENV scalebox "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
}
out() { cat "$WORK/out"; }
err() { cat "$WORK/err"; }
# expect NAME CODE [TEXT]: exit code, and TEXT in stdout+stderr when given; never a stack trace.
expect() {
    if [ "$RC" -ne "$2" ]; then
        fail "$1" "exit $RC, expected $2: $(head -c 300 "$WORK/err")"
    elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$WORK/out" "$WORK/err"; then
        fail "$1" "no [$3] in: $(head -c 300 "$WORK/out") $(head -c 300 "$WORK/err")"
    elif grep -q 'Exception\|	at [a-z]' "$WORK/err"; then
        fail "$1" "stack trace: $(head -c 300 "$WORK/err")"
    else
        pass "$1"
    fi
}
json_ok() { jq -e "$1" "$WORK/out" >/dev/null 2>&1; }

echo "cli: help and usage errors"
sb; expect "no command: usage error (2)" 2 "no command given"
sb help; expect "help lists the commands" 0 "vm create"
for c in login logout "config show" status "vm list" "vm create" "vm get" "vm delete" "vm snapshot" \
    "vm stop" "vm start" "vm pause" "vm resume" "vm wait" "template list" "template delete" "template warm" "template build" connect run exec cp ls version; do
    # shellcheck disable=SC2086
    sb $c --help; expect "$c --help" 0 "Usage: scalebox $c"
done
sb frob; expect "unknown command (2)" 2 "unknown command 'frob'"
sb vm; expect "vm without subcommand lists them (2)" 2 "vm snapshot"
sb vm get; expect "missing argument (2)" 2 "takes <VM>"
sb vm create --vcpus many; expect "bad number names the option (2)" 2 "--vcpus"
sb vm list --bogus; expect "unknown option (2)" 2 "unknown option '--bogus'"
sb run somevm; expect "run without a command (2)" 2 "needs a command after --"

echo "cli: server unreachable, bad URL, token rejected"
CLI_ENV="SCALEBOX_HOST=http://192.0.2.1:9 SCALEBOX_TOKEN=$TOKEN"
sb vm list; expect "unreachable server: exit 3" 3 "cannot reach scaleboxd at http://192.0.2.1:9"
sb version; expect "version works without a server" 0 "scalebox $VERSION"
CLI_ENV="SCALEBOX_HOST=ftp://x SCALEBOX_TOKEN=$TOKEN"
sb vm list; expect "non-http SCALEBOX_HOST: usage error (2)" 2 "SCALEBOX_HOST 'ftp://x' is not a URL"
CLI_ENV="SCALEBOX_HOST=$API SCALEBOX_TOKEN=sb-wrong-token-000000"
sb vm list; expect "wrong token: API error (4)" 4 "token was rejected"
CLI_ENV="SCALEBOX_HOST=$API SCALEBOX_TOKEN=$TOKEN"

echo "cli: configuration precedence"
CLI_ENV=""
sb vm list; expect "nothing configured: default host, unreachable here (3)" 3 "http://localhost:8080"
printf 'API_PORT=8080\nAPI_BIND=192.0.2.1\nAPI_TOKEN=%s\n' "$TOKEN" >"$SYSCONF"
sb --json config show
check_eq "server config gives host" "http://192.0.2.1:8080 server config" "$(jq -r '.host + " " + .host_source' "$WORK/out")"
check_eq "server config gives token (masked)" "server config" "$(jq -r .token_source "$WORK/out")"
check "config show never prints the whole token" sh -c "! grep -qF '$TOKEN' '$WORK/out'"
sb vm list; expect "server config alone is enough (the sudo case)" 0 "ID"
sb config show --show-token; expect "--show-token shows it" 0 "$TOKEN"
printf 'API_PORT=8080\nAPI_BIND=192.0.2.1\nAPI_TOKEN=sb-not-the-token-0000\n' >"$SYSCONF"
sb_in "sb-also-wrong-000000000" login --host "$API" --token-stdin
expect "login with a wrong token: exit 4" 4 "rejected"
check "a failed login saves nothing" test ! -e "$HOME_DIR/.config/scalebox/config"
sb_in "$TOKEN" login --host "$API" --token-stdin; expect "login --token-stdin" 0 "logged in to $API"
check_eq "user config file is 0600" 600 "$(stat -c %a "$HOME_DIR/.config/scalebox/config")"
check_eq "user config dir is 0700" 700 "$(stat -c %a "$HOME_DIR/.config/scalebox")"
sb vm list; expect "user config beats the server config" 0 "ID"
sb --json config show
check_eq "token from the user config" "user config" "$(jq -r .token_source "$WORK/out")"
CLI_ENV="SCALEBOX_TOKEN=sb-env-wins-000000000"
sb vm list; expect "environment beats the user config" 4 "rejected"
CLI_ENV="SCALEBOX_CONFIG_DIR=$WORK/elsewhere"
sb --json config show
check_eq "SCALEBOX_CONFIG_DIR moves the user config" "server config $WORK/elsewhere" \
    "$(jq -r '.token_source + " " + .config_dir' "$WORK/out")"
CLI_ENV=""
sb logout; expect "logout" 0 "logged out"
check "logout removed the file" test ! -e "$HOME_DIR/.config/scalebox/config"
sb logout; expect "logout when logged out is fine" 0 "not logged in"
rm -f "$SYSCONF"
sb_in "" login --host "$API" --token-stdin; expect "login with empty stdin (2)" 2 "no token"
sb login --host "http://192.0.2.1:8080" ; expect "login without a terminal or --token-stdin (2)" 2 "--token-stdin"
sb_in "$TOKEN" login --host "http://192.0.2.1:9" --token-stdin; expect "login to an unreachable server (3)" 3 "cannot reach"
sb_in "$TOKEN" login --host "$API" --token-stdin; expect "login again" 0 "logged in"

echo "cli: status, version, templates"
sb status; expect "status" 0 "hypervisor"
sb --json status; check "status --json parses" json_ok '.version and .hypervisor'
sb version; expect "version shows the server" 0 "scaleboxd $VERSION"
sb --json version; check "version --json parses" json_ok '.client and .server'
sb template list; expect "template list table" 0 "NAME"
check "template list shows debian-base" grep -q '^debian-base ' "$WORK/out"
sb --json template list; check "template list --json parses" json_ok '.templates[] | select(.name == "debian-base")'

echo "cli: VMs"
sb vm create -n clia --mem 256; expect "vm create with the managed key" 0 "clia"
check "managed key created" test -s "$HOME_DIR/.config/scalebox/id_ed25519.pub"
check "it was announced on stderr" grep -q "created the SSH key" "$WORK/err"
check_eq "managed private key is 0600" 600 "$(stat -c %a "$HOME_DIR/.config/scalebox/id_ed25519")"
sb --json vm create -n clib -k "@$WORK/key.pub" --vcpus 1 --mem 256 --disk 2
check "vm create --json (key from @file) parses" json_ok '.name == "clib" and .disk_size_gib == 2'
sb vm wait --ssh --timeout 1 clib; expect "vm wait --ssh times out on a booting guest (5)" 5 "timed out after 1 s"
sb vm create -k "@$WORK/nope.pub"; expect "-k @missing file: exit 1" 1 "no such file"
sb vm create -k "not a key"; expect "invalid key: the API's 400 with its code (4)" 4 "(invalid_ssh_key, HTTP 400)"
sb vm create -n clia -k "$KEY"; expect "duplicate name: 409 (4)" 4 "already in use (name_taken, HTTP 409)"
sb vm create -t no-such-template; expect "unknown template: 404 (4)" 4 "Template not found (template_not_found, HTTP 404)"
sb vm list; expect "vm list table" 0 "STATUS"
check "vm list shows both" sh -c "grep -q ' clia ' '$WORK/out' && grep -q ' clib ' '$WORK/out'"
sb vm list --names; check_eq "vm list --names" "clia clib" "$(out | tr '\n' ' ' | sed 's/ $//')"
sb --json vm list; check "vm list --json parses" json_ok '.vms | length == 2'
sb vm get clia; expect "vm get" 0 "ssh_port"
# The server's history holds clia's creation; --since 0 replays it, then the stream goes on (timeout ends it).
# shellcheck disable=SC2086
client env -i PATH="$WORK/bin:/usr/bin:/bin" HOME="$HOME_DIR" $CLI_ENV timeout 5 scalebox --json events --since 0 >"$WORK/events" 2>&1
check "scalebox events --since 0 replays clia's creation" sh -c "jq -r 'select(.vm_name == \"clia\") | .type' '$WORK/events' | grep -qx vm.created"
# shellcheck disable=SC2086
client env -i PATH="$WORK/bin:/usr/bin:/bin" HOME="$HOME_DIR" $CLI_ENV timeout 5 scalebox events --since 0 >"$WORK/events" 2>&1
check "scalebox events prints time, type and VM" grep -Eq '^[0-9T:.-]+Z  vm.created  clia  debian-base$' "$WORK/events"
sb vm console clia -n 2; expect "vm console -n 2" 0
check "vm console -n 2 prints at most 2 lines" test "$(out | wc -l)" -le 2
sb vm console clia --lines 2 --bytes 5; expect "vm console with --lines and --bytes: usage (2)" 2 "not both"
sb --json vm get clia; check "vm get --json parses" json_ok '.name == "clia" and .status == "running"'
sb vm get nope; expect "vm get unknown: 404 (4)" 4 "VM not found (vm_not_found, HTTP 404)"
sb vm wait --ssh --timeout 150 clia; expect "vm wait --ssh" 0 "SSH is up"
sb vm wait --ssh --timeout 150 clib; expect "vm wait --ssh (second VM)" 0 "SSH is up"
sb run clia -- echo "two words" "it's"; check_eq "run keeps arguments intact" "two words it's" "$(out)"
sb run clia -- sh -c 'exit 7'; expect "run exits with the remote code" 7
sb run clia -- cat .ssh/authorized_keys
check_eq "the managed key is the VM's key" "$(cat "$HOME_DIR/.config/scalebox/id_ed25519.pub")" "$(out)"
sb --json vm get clia
check "the VM's host key was remembered under its id" \
    ssh-keygen -F "scalebox-$(jq -r .id "$WORK/out")" -f "$HOME_DIR/.config/scalebox/known_hosts"
sb_in "echo hello-from-connect" connect --ssh clia; expect "connect --ssh" 0 "hello-from-connect"

echo "cli: exec, cp and ls through the guest agent"
sb vm wait --agent --timeout 150 clia; expect "vm wait --agent" 0 "its agent answers"
sb exec clia -- sh -c 'echo out; echo err >&2; exit 3'; expect "exec exits with the command's code" 3
check_eq "exec: stdout and stderr apart" "out|err" "$(out)|$(err)"
sb exec -u root -w /tmp -e A=1 -e 'B=two words' clia -- sh -c 'echo "$A $B $(pwd) $(id -u)"'
check_eq "exec -u -w -e (repeated)" "1 two words /tmp 0" "$(out)"
sb_in "piped" exec -i clia -- cat; check_eq "exec -i passes standard input" piped "$(out)"
sb exec clia -- sh -c 'printf "\\377\\000\\001"'; check_eq "exec output is written byte for byte" "ff0001" "$(od -An -tx1 "$WORK/out" | tr -d ' \n')"
sb exec --timeout 1 clia -- sleep 30; expect "exec --timeout: 124, as timeout(1)" 124 "ended at its timeout"
sb exec clia -- sh -c 'kill -KILL $$'; expect "exec ended by a signal: 128 + 9" 137
sb exec clia; expect "exec without a command (2)" 2 "needs a command after --"
sb exec -e BAD clia -- true; expect "exec -e without = (2)" 2 "NAME=VALUE"
sb exec --timeout 0 clia -- true; expect "exec --timeout 0 (2)" 2 "--timeout"
sb exec nope -- true; expect "exec on an unknown VM (4)" 4 "VM not found"
head -c 3000000 /dev/urandom >"$WORK/blob"
sb cp "$WORK/blob" clia:/home/user/; expect "cp into a directory of the VM" 0 "clia:/home/user/blob: 3000000 bytes"
sb cp clia:/home/user/blob "$WORK/blob.back"; expect "cp out of the VM" 0
check "cp: the same bytes back" cmp "$WORK/blob" "$WORK/blob.back"
sb_in "a note" cp --mode 0600 --owner root -p - clia:/root/x/y/note; expect "cp from standard input, --mode --owner -p" 0
sb exec -u root clia -- stat -c '%a %U' /root/x/y/note; check_eq "its mode and owner" "600 root" "$(out)"
sb cp clia:/root/x/y/note -; check_eq "cp to standard output" "a note" "$(out)"
sb ls clia:/home/user; check "ls lists the file" grep -qE ' file +blob$' "$WORK/out"
sb cp clia:/no/such "$WORK/nothing"; expect "cp of a missing file (4)" 4 "file_not_found"
check "and writes nothing" sh -c "! ls -a '$WORK' | grep -q -e nothing -e scalebox-cp"
sb cp "$WORK/blob" nope:/tmp/blob; expect "cp to an unknown VM (4)" 4 "VM not found"
sb cp "$WORK/blob" clia:relative; expect "cp needs VM:/absolute on one side (2)" 2 "one side must be"
sb cp "$WORK" clia:/tmp/; expect "cp of a local directory (2)" 2 "is a directory"
sb ls clia:/etc/passwd; expect "ls of a file (4)" 4 "not_a_directory"

sb vm stop clib; expect "vm stop" 0 "is stopped"
sb vm stop clib; expect "vm stop again (idempotent)" 0 "is stopped"
sb run clib -- true; expect "run on a stopped VM: exit 1" 1 "scalebox vm start clib"
sb vm wait --ssh clib; expect "wait --ssh on a stopped VM fails at once" 1 "is stopped"
sb vm start clib; expect "vm start" 0 "is running"
sb vm wait clib --timeout 30; expect "vm wait (running)" 0 "running"
sb vm stop --force clib; expect "vm stop --force" 0 "is stopped"
check "--force: the guest was not asked (forced on request)" grep -q "stopped (forced on request)" "$WORK/daemon.log"
sb vm start --force clib; expect "vm start --force is a usage error (2)" 2 "unknown option '--force'"
sb vm start clib; expect "vm start after --force" 0 "is running"
sb vm pause clib; expect "vm pause" 0 "is paused"
sb vm start clib; expect "vm start of a paused VM: 409 (4)" 4 "vm_paused"
sb vm resume clib; expect "vm resume" 0 "is running"
sb vm resume clib; expect "vm resume of a running VM changes nothing" 0 "is running"
sb vm pause clib; expect "vm pause again" 0 "is paused"
sb vm start --discard-state clib; expect "vm start --discard-state boots it" 0 "is running"

sb run clia -- sh -c 'echo snapped >/home/user/mark && sync'
sb vm snapshot clia cli-snap; expect "vm snapshot" 0 "template cli-snap created"
sb vm snapshot clia cli-snap; expect "snapshot to an existing name: 409 (4)" 4 "already exists"
sb vm snapshot clia 'bad name!'; expect "snapshot with a bad name: 400 (4)" 4 "Invalid template name"
sb template list; check "template list shows the snapshot" grep -q '^cli-snap ' "$WORK/out"
sb vm create -t cli-snap -n clic --mem 256; expect "vm create from the snapshot" 0 "clic"
sb vm wait --ssh --timeout 150 clic; expect "the snapshot VM answers SSH" 0 "SSH is up"
sb run clic -- cat /home/user/mark; check_eq "the snapshot VM has the file" snapped "$(out)"

sb template delete debian-base; expect "template delete protected: 403 (4)" 4 "protected"
sb template delete no-such; expect "template delete unknown: 404 (4)" 4 "Template not found"
sb template warm no-such; expect "template warm unknown: 404 (4)" 4 "Template not found"
sb template warm; expect "template warm without a name: usage error (2)" 2 "takes <NAME>"
sb vm delete clia clic nope; expect "vm delete with one unknown: exit 4" 4 "nope: VM not found"
sb vm list --names; check_eq "the known ones were deleted" "clib" "$(out)"
sb template delete cli-snap; expect "template delete" 0 "deleted template cli-snap"
sb vm delete clib; expect "vm delete" 0 "deleted clib"

echo "cli: template build (the builder's own checks)"
sb template build not-a-recipe; expect "template build of an unknown recipe (2)" 2 "only 'debian-base'"
sb template build debian-base --size-gib 1; expect "template build with a bad size (2)" 2 "--size-gib"

echo "cli: bash completion"
complete_words() { # complete_words WORD... -> the completions of the last word
    client env -i PATH="$WORK/bin:/usr/bin:/bin" HOME="$HOME_DIR" SCALEBOX_HOST="$API" SCALEBOX_TOKEN="$TOKEN" \
        bash -c 'source /usr/share/bash-completion/bash_completion; source "$0"; COMP_WORDS=("$@");
                 COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _scalebox;
                 printf "%s\n" "${COMPREPLY[@]}"' "$ROOT/scripts/completion/scalebox" "$@" | sort | tr '\n' ' '
}
check_eq "completes commands" "template " "$(complete_words scalebox tem)"
check_eq "completes vm subcommands" "snapshot start stop " "$(complete_words scalebox vm s)"
sb vm create -n compl-vm -k "$KEY" --mem 256
check_eq "completes VM names from the server" "compl-vm " "$(complete_words scalebox vm delete comp)"
check_eq "completes create options" "--mem " "$(complete_words scalebox vm create --me)"
sb vm delete compl-vm

summary cli
