# What commands and files through a VM's agent must do, whatever the image (the test guest in
# agent.sh, debian-base in base.sh). Source it after engine-env.sh (api, client, WORK, TOKEN,
# API); then `agent_checks NAME` runs them on the running VM NAME.

# exec_in NAME JSON: POST /vms/NAME/exec; the body in $WORK/body, the status in $WORK/status.
exec_in() { api POST "/vms/$1/exec" "$2" >/dev/null; }

agent_checks() {
    local VM=$1
    echo "agent: the command's world"
    exec_in $VM '{"command":["id","-un"]}'
    check_eq "the template's login user by default" "user" "$(field .stdout | tr -d '\n')"
    exec_in $VM '{"command":["pwd"]}'
    check_eq "in its home directory" "/home/user" "$(field .stdout | tr -d '\n')"
    exec_in $VM '{"command":"echo $FOO-$BAR; pwd; id -u","env":{"FOO":"one","BAR":"two words"},"cwd":"/tmp","user":"root"}'
    check_eq "a shell string, env, cwd and root" "one-two words /tmp 0" "$(jq -j .stdout "$WORK/body" | paste -sd' ')"
    exec_in $VM '{"command":["cat"],"stdin":"line one\nline two\n"}'
    check_eq "stdin" "line one|line two|" "$(jq -j .stdout "$WORK/body" | tr '\n' '|')"
    BYTES=$(head -c 3000 /dev/urandom | base64 -w0)
    exec_in $VM "{\"command\":[\"cat\"],\"stdin_b64\":\"$BYTES\",\"output\":\"base64\"}"
    check_eq "binary stdin comes back as base64, byte for byte" "$BYTES" "$(field .stdout_b64)"
    exec_in $VM '{"command":["sh","-c","printf \"\\377\\376\""]}'
    check_eq "output that is not UTF-8 is base64" "null //4=" "$(field .stdout) $(field .stdout_b64)"
    exec_in $VM '{"command":["sh","-c","kill -TERM $$"]}'
    check_eq "a command ended by a signal" "null 15" "$(field .exit_code) $(field .signal)"
    exec_in $VM '{"command":["no-such-program"]}'
    check_eq "a program that does not exist: 127 and why" "127 true" "$(field .exit_code) $(field '.stderr | test("No such file")')"
    exec_in $VM '{"command":["true"],"user":"nobody-here"}'
    check_eq "no such user: 422 exec_failed" "422 exec_failed" "$(status) $(field .code)"
    exec_in $VM '{"command":["true"],"cwd":"/no/such/dir"}'
    check_eq "no such directory: 422 exec_failed" "422 exec_failed" "$(status) $(field .code)"
    for bad in '{"command":[]}' '{"command":"ls","timeout_ms":0}' '{"command":"ls","timeout_ms":3600001}' \
        '{"command":"ls","cwd":"relative"}' '{"command":"ls","env":{"1X":"y"}}' '{"command":"ls","user":"Root!"}' \
        '{"command":"ls","surprise":1}' '{"command":["a=b"]}' '{"command":"ls","max_output_bytes":16777217}'; do
        exec_in $VM "$bad"
        check_eq "refused before the guest: $bad" 400 "$(status)"
    done

    echo "agent: limits"
    t0=$(ms)
    exec_in $VM '{"command":["sh","-c","sleep 300 & sleep 300 & sleep 300; echo never"],"timeout_ms":2000}'
    check_eq "a timeout ends the command (SIGKILL)" "true null 9" "$(field .timed_out) $(field .exit_code) $(field .signal)"
    check "within the timeout and a few seconds ($(($(ms) - t0)) ms)" test $(($(ms) - t0)) -lt 15000
    exec_in $VM '{"command":["sh","-c","n=0; for c in /proc/[0-9]*/comm; do [ \"$(cat $c 2>/dev/null)\" = sleep ] && n=$((n+1)); done; echo $n"],"user":"root"}'
    check_eq "and every process it started (no sleep is left)" 0 "$(field .stdout | tr -d '\n')"
    exec_in $VM '{"command":["sh","-c","head -c 17000000 /dev/zero | tr \"\\\\0\" a"],"max_output_bytes":16777216,"timeout_ms":600000}'
    check_eq "16 MiB of output: cut at the cap and flagged" "200 16777216 true" "$(status) $(field '.stdout | length') $(field .stdout_truncated)"
    exec_in $VM '{"command":["sh","-c","seq 1 100000"],"max_output_bytes":10}'
    check_eq "max_output_bytes" "1 2 3 4 5 true" "$(jq -j .stdout "$WORK/body" | paste -sd' ') $(field .stdout_truncated)"

    echo "agent: in the background"
    exec_in $VM '{"command":["sh","-c","for i in 1 2 3 4 5; do echo line $i; sleep 1; done; echo done >&2"],"background":true}'
    check_eq "202 and an exec id" "202 running" "$(status) $(field .status)"
    EX=$(field .exec_id)
    api GET "/vms/$VM/exec/$EX" >/dev/null
    check_eq "polled while it runs" "200 running" "$(status) $(field .status)"
    client curl -sN --max-time 30 -H "Authorization: Bearer $TOKEN" "$API/vms/$VM/exec/$EX/stream" >"$WORK/follow.ndjson"
    check_eq "followed: both streams, then how it ended" "line 1|line 2|line 3|line 4|line 5| done| exited 0" \
        "$(jq -j 'select(.stream == "stdout") | .data' "$WORK/follow.ndjson" | paste -sd'|')| \
$(jq -j 'select(.stream == "stderr") | .data' "$WORK/follow.ndjson")| \
$(jq -r 'select(.status) | "\(.status) \(.exit_code)"' "$WORK/follow.ndjson")"
    check "as they came: in several pieces" test "$(jq -r 'select(.stream == "stdout")' "$WORK/follow.ndjson" | grep -c '"stream"')" -ge 3
    api GET "/vms/$VM/exec/$EX?stdout_offset=7" >/dev/null
    check_eq "polled after its end, from an offset" "exited 0 line 2" "$(field .status) $(field .exit_code) $(field .stdout | head -n 1)"
    api DELETE "/vms/$VM/exec/$EX" >/dev/null
    local deleted
    deleted=$(status)
    api GET "/vms/$VM/exec/$EX" >/dev/null
    check_eq "DELETE forgets it" "204 404 exec_not_found" "$deleted $(status) $(field .code)"
    exec_in $VM '{"command":["sleep","600"],"background":true}'
    EX=$(field .exec_id)
    check_eq "a long one is killed by DELETE" 204 "$(api DELETE "/vms/$VM/exec/$EX" >/dev/null; status)"
    exec_in $VM '{"command":["sh","-c","n=0; for c in /proc/[0-9]*/comm; do [ \"$(cat $c 2>/dev/null)\" = sleep ] && n=$((n+1)); done; echo $n"],"user":"root"}'
    check_eq "no sleep is left" 0 "$(field .stdout | tr -d '\n')"
    echo "agent: files"
    head -c 52428800 /dev/urandom >"$WORK/big.bin"
    SUM=$(sha256sum "$WORK/big.bin" | cut -d' ' -f1)
    t0=$(ms)
    code=$(client curl -s -o "$WORK/body" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
        --data-binary "@$WORK/big.bin" "$API/vms/$VM/files?path=/home/user/big.bin")
    UP=$(($(ms) - t0))
    check_eq "PUT 50 MiB ($UP ms)" "201 52428800" "$code $(field .size_bytes)"
    exec_in $VM '{"command":["sha256sum","/home/user/big.bin"]}'
    check_eq "the guest has the same bytes" "$SUM" "$(field .stdout | cut -d' ' -f1)"
    t0=$(ms)
    client curl -s -o "$WORK/back.bin" -H "Authorization: Bearer $TOKEN" "$API/vms/$VM/files?path=/home/user/big.bin"
    DOWN=$(($(ms) - t0))
    check_eq "GET them back ($DOWN ms)" "$SUM" "$(sha256sum "$WORK/back.bin" | cut -d' ' -f1)"
    echo "  50 MiB up $UP ms, down $DOWN ms"
    api GET "/vms/$VM/files/list?path=/home/user" >/dev/null
    check_eq "list: name, type, size, mode, owner" "file 52428800 0644 user" \
        "$(jq -r '.entries[] | select(.name == "big.bin") | "\(.type) \(.size) \(.mode) \(.owner)"' "$WORK/body")"
    printf 'secret' | client curl -s -o "$WORK/body" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
        --data-binary @- "$API/vms/$VM/files?path=/root/new/dir/key&mode=0600&owner=root&mkdir=true" >"$WORK/status"
    check_eq "PUT with mode, owner and mkdir" 201 "$(status)"
    exec_in $VM '{"command":["stat","-c","%a %U %s","/root/new/dir/key"],"user":"root"}'
    check_eq "its mode, owner and size in the guest" "600 root 6" "$(field .stdout | tr -d '\n')"
    exec_in $VM '{"command":["sh","-c","ls -a /root/new/dir | grep -c sb-tmp"],"user":"root"}'
    check_eq "no temporary file is left beside it" 0 "$(field .stdout | tr -d '\n')"
    check_eq "an empty file" "201 0" "$(client curl -s -o "$WORK/body" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
        --data-binary '' "$API/vms/$VM/files?path=/tmp/empty") $(field .size_bytes)"
    check_eq "DELETE" 204 "$(api DELETE "/vms/$VM/files?path=/home/user/big.bin" >/dev/null; status)"
    check_eq "GET after it: 404 file_not_found" "404 file_not_found" "$(api GET "/vms/$VM/files?path=/home/user/big.bin" >/dev/null; status) $(field .code)"
    check_eq "GET of a directory: 409 is_a_directory" "409 is_a_directory" "$(api GET "/vms/$VM/files?path=/tmp" >/dev/null; status) $(field .code)"
    api DELETE "/vms/$VM/files?path=/root/new" >/dev/null
    deleted=$(status)
    api DELETE "/vms/$VM/files?path=/root/new&recursive=true" >/dev/null
    check_eq "DELETE of a directory needs recursive" "409 204" "$deleted $(status)"
    check_eq "a relative path: 400 invalid_path" "400 invalid_path" "$(api GET "/vms/$VM/files?path=etc/passwd" >/dev/null; status) $(field .code)"
    check_eq "list of a file: 409 not_a_directory" "409 not_a_directory" "$(api GET "/vms/$VM/files/list?path=/etc/passwd" >/dev/null; status) $(field .code)"
}
