#!/bin/bash
# End-to-end tests of the VM engine with real guests (QEMU TCG) through the real API, in
# network namespaces made by scripts/test/engine-env.sh (the host's network is untouched).
# Usage: e2e.sh TARGET_DIR (the Maven target directory with runtime/, scalebox.jar, lib/)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
. "$HERE/engine-env.sh"

trap engine_cleanup EXIT
engine_start || exit 1
# What a VM leaves on the host: hypervisors, TAPs, VM dirs, nft forwards, listening proxies.
footprint() {
    printf 'qemu=%s taps=%s dirs=%s rules=%s\n' \
        "$(pgrep -fc "$DATA/vms/" || true)" \
        "$(hostns ip -o link show | grep -c ' sbx' || true)" \
        "$(find "$DATA/vms" -mindepth 1 -maxdepth 1 | wc -l)" \
        "$(hostns nft list table inet scalebox 2>/dev/null | grep -o 'vm-[0-9a-f]\{12\}' | sort -u | wc -l)"
}

echo "e2e: create, SSH through the daemon's port"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"alpha\"}" >/dev/null
check_eq "create answers 201" 201 "$(status)"
[ "$(status)" = 201 ] || { cat "$WORK/body"; echo; summary e2e; exit 1; }
A_ID=$(field .id); A_PORT=$(field .ssh_port)
check "id is vm- + 12 hex" sh -c "echo '$A_ID' | grep -Eqx 'vm-[0-9a-f]{12}'"
check_eq "ip is HOST_IP" 192.0.2.1 "$(field .ip)"
check_eq "ssh field" "ssh -p $A_PORT user@192.0.2.1" "$(field .ssh)"
check_eq "url from BASE_DOMAIN" "https://alpha.vms.test" "$(field .url)"
check_eq "status running" running "$(field .status)"
check_eq "defaults from config" "1 256" "$(field '"\(.vcpu_count) \(.mem_size_mib)"')"
check "disk_size_gib is the template's size" test "$(field .disk_size_gib)" -ge 1
check "created_at has milliseconds" sh -c "echo '$(field .created_at)' | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'"
check "ssh -p $A_PORT user@192.0.2.1 reaches the guest" wait_for 120 ssh_ready "$A_PORT"
check_eq "guest says hello" hello "$(vmssh "$A_PORT" echo hello)"
check_eq "key owned by user, 0600" "600 1000" "$(vmssh "$A_PORT" stat -c "'%a %u'" .ssh/authorized_keys)"

echo "e2e: get, list, caddy"
api GET /vms/alpha >/dev/null; check_eq "get by name" "200 $A_ID" "$(status) $(field .id)"
api GET "/vms/$A_ID" >/dev/null; check_eq "get by id" "200 alpha" "$(status) $(field .name)"
api GET /vms/nope >/dev/null; check_eq "unknown VM 404" "404 VM not found vm_not_found" "$(status) $(field .error) $(field .code)"

echo "e2e: events"
# Last-Event-ID 0 replays the history first: nothing published after the stream starts is missed.
client curl -sN --max-time 600 -H "Authorization: Bearer $TOKEN" -H "Last-Event-ID: 0" "$API/events" >"$WORK/events" &
EVENTS_PID=$!
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"evt\"}" >/dev/null
check_eq "create evt" 201 "$(status)"
api POST /vms/evt/stop '{"force":true}' >/dev/null; check_eq "stop evt" 200 "$(status)"
api DELETE /vms/evt >/dev/null; check_eq "delete evt" 204 "$(status)"
# evt_events FILE: "id type" of evt's events in FILE, each id once, in order.
evt_events() { sed -n 's/^data://p' "$1" | jq -r 'select(.vm_name == "evt") | "\(.id) \(.type)"' | sort -n -u; }
deleted_seen() { evt_events "$WORK/events" | grep -q ' vm.deleted$'; }
check "the stream delivers evt's deletion" wait_for 20 deleted_seen
check_eq "create, stop, delete arrive in order" "vm.created vm.stopped vm.deleted" "$(evt_events "$WORK/events" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')"
check "each event has an id line, an event line and its time" sh -c "grep -q '^id:' '$WORK/events' && grep -q '^event:vm.created' '$WORK/events' && sed -n 's/^data://p' '$WORK/events' | jq -r 'select(.type == \"vm.created\") | .time' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'"
kill "$EVENTS_PID" 2>/dev/null; wait "$EVENTS_PID" 2>/dev/null
FIRST=$(evt_events "$WORK/events" | head -1 | cut -d' ' -f1)
LAST=$(sed -n 's/^data://p' "$WORK/events" | jq -r .id | sort -n | tail -1)
client curl -sN --max-time 5 -H "Authorization: Bearer $TOKEN" -H "Last-Event-ID: $FIRST" "$API/events" >"$WORK/resumed"
check_eq "Last-Event-ID resumes right after that event, without gaps" "$(seq $((FIRST + 1)) "$LAST" | tr '\n' ' ')" \
    "$(sed -n 's/^data://p' "$WORK/resumed" | jq -r .id | sort -n -u | tr '\n' ' ')"
check_eq "GET /events needs the token" 401 "$(client curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$API/events")"

echo "e2e: console"
api GET '/vms/alpha/console?bytes=1048576' >/dev/null
check_eq "console 200 for alpha" "200 $A_ID" "$(status) $(field .id)"
check "the console holds the guest's boot lines" sh -c "jq -r .console '$WORK/body' | grep -q 'Linux version'"
api GET '/vms/alpha/console?lines=3' >/dev/null
check "?lines=3 gives at most 3 lines" test "$(jq -j .console "$WORK/body" | wc -l)" -le 3
api GET '/vms/alpha/console?lines=0' >/dev/null; check_eq "?lines=0 is 400 invalid_field" "400 invalid_field" "$(status) $(field .code)"
api GET '/vms/alpha/console?lines=2&bytes=9' >/dev/null; check_eq "lines and bytes together: 400" 400 "$(status)"
api GET /vms/nope/console >/dev/null; check_eq "console of an unknown VM: 404 vm_not_found" "404 vm_not_found" "$(status) $(field .code)"
cc() { client curl -s -o /dev/null -w '%{http_code}' "$API/caddy/check?domain=$1"; }
check_eq "caddy: alpha.vms.test" 200 "$(cc alpha.vms.test)"
check_eq "caddy: case-insensitive" 200 "$(cc ALPHA.VMS.Test)"
check_eq "caddy: unknown name" 404 "$(cc beta.vms.test)"
check_eq "caddy: two labels" 404 "$(cc x.alpha.vms.test)"
check_eq "caddy: other domain" 404 "$(cc alpha.example.com)"

echo "e2e: UDP (mosh) forwarded to the guest's same port"
vmssh "$A_PORT" "nohup socat UDP-LISTEN:$A_PORT,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &"
udp_echo() { [ "$(echo "ping-$1" | client timeout 3 socat -t 2 - "UDP:192.0.2.1:$1")" = "ping-$1" ]; }
check "UDP to host port $A_PORT echoes from the guest" wait_for 20 udp_echo "$A_PORT"

echo "e2e: snapshot"
vmssh "$A_PORT" 'echo from-alpha >/home/user/marker && sync'
api POST /vms/alpha/snapshot '{"template_name":"alpha-snap"}' >/dev/null
check_eq "snapshot 201" "201 alpha-snap $A_ID" "$(status) $(field .template) $(field .source_vm)"
check "snapshot has size and created_at" sh -c "[ $(field .size_bytes) -gt 0 ] && echo '$(field .created_at)' | grep -q 'Z$'"
check "snapshot scrubbed authorized_keys" sh -c "debugfs -R 'stat /home/user/.ssh/authorized_keys' '$DATA/templates/alpha-snap.ext4' 2>/dev/null | grep -q 'Size: 0'"
check "snapshot carries no SSH host keys" sh -c "! debugfs -R 'ls -p /etc/ssh' '$DATA/templates/alpha-snap.ext4' 2>/dev/null | grep -q ssh_host_"
check "no .partial left" sh -c "! ls '$DATA/templates' | grep -q partial"
check_eq "source VM still answers" hello "$(vmssh "$A_PORT" echo hello)"
api POST /vms/alpha/snapshot '{"template_name":"alpha-snap"}' >/dev/null
check_eq "same name again 409" "409 Template already exists template_exists" "$(status) $(field .error) $(field .code)"
api GET /templates >/dev/null
check_eq "templates listed" "alpha-snap debian-base" "$(field '[.templates[].name] | join(" ")')"
api POST /vms "{\"template\":\"alpha-snap\",\"ssh_public_key\":\"$KEY\",\"name\":\"beta\",\"disk_size_gib\":2}" >/dev/null
check_eq "create from snapshot 201" 201 "$(status)"
B_PORT=$(field .ssh_port); B_ID=$(field .id)
check_eq "disk grown to 2 GiB" 2 "$(field .disk_size_gib)"
check "SSH into the snapshot's VM" wait_for 120 ssh_ready "$B_PORT"
check_eq "the file written before the snapshot is there" from-alpha "$(vmssh "$B_PORT" cat /home/user/marker)"
check_eq "only the new VM's key is authorized" "$KEY" "$(vmssh "$B_PORT" cat .ssh/authorized_keys)"
check "root filesystem grew" sh -c "[ \$(ip netns exec $CLIENT_NS ssh -q -i $WORK/key -p $B_PORT -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes user@192.0.2.1 df -k / | awk 'NR==2{print \$2}') -gt 1500000 ]"
hostkey() { client ssh-keyscan -T 20 -p "$1" -t ed25519 192.0.2.1 2>/dev/null | cut -d' ' -f3; }
KEY_A=$(hostkey "$A_PORT"); KEY_B=$(hostkey "$B_PORT")
check_eq "both VMs present a host key" "yes yes" "$([ -n "$KEY_A" ] && echo yes) $([ -n "$KEY_B" ] && echo yes)"
check "the snapshot's VM has its own host key" test "$KEY_A" != "$KEY_B"

echo "e2e: list order, /info"
api GET /vms >/dev/null
check_eq "list in creation order" "alpha beta" "$(field '[.vms[].name] | join(" ")')"
api GET /info >/dev/null
check_eq "/info counts" "2 2 qemu tcg" "$(field '"\(.vms_count) \(.templates_count) \(.hypervisor) \(.accel)"')"

echo "e2e: delete leaves nothing"
BEFORE=$(footprint)
api DELETE /vms/beta >/dev/null
check_eq "delete by name 204" 204 "$(status)"
check_eq "one VM less on the host" "qemu=1 taps=1 dirs=1 rules=1" "$(footprint)"
no_process() { ! pgrep -f "$1" >/dev/null; }
check "no hypervisor of beta" no_process "$DATA/vms/$B_ID/"
check "beta's port closed" sh -c "! ip netns exec $CLIENT_NS timeout 3 bash -c 'echo > /dev/tcp/192.0.2.1/$B_PORT' 2>/dev/null"
check "no nft rule of beta" sh -c "! ip netns exec $HOST_NS nft list table inet scalebox | grep -q '$B_ID'"
api DELETE /vms/beta >/dev/null; check_eq "delete again 404" 404 "$(status)"
api DELETE /templates/alpha-snap >/dev/null; check_eq "delete snapshot template 204" 204 "$(status)"
api DELETE /templates/debian-base >/dev/null
check_eq "protected template 403" "403 Cannot delete protected template template_protected" "$(status) $(field .error) $(field .code)"
api DELETE /templates/golden >/dev/null
check_eq "PROTECTED_TEMPLATES checked before existence" 403 "$(status)"
api DELETE /templates/missing >/dev/null; check_eq "missing template 404" "404 Template not found" "$(status) $(field .error)"
api DELETE '/templates/bad.name' >/dev/null; check_eq "bad template name 400" "400 Invalid template name" "$(status) $(field .error)"

echo "e2e: three creates in parallel"
CREATES=""
for n in p1 p2 p3; do
    client curl -s -o "$WORK/$n.json" -H "Authorization: Bearer $TOKEN" \
        --data-binary "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"$n\"}" "$API/vms" &
    CREATES="$CREATES $!"
done
# shellcheck disable=SC2086 # one PID per word
wait $CREATES
PORTS=""
for n in p1 p2 p3; do
    api GET "/vms/$n" >/dev/null
    check_eq "parallel create $n exists" 200 "$(status)"
    PORTS="$PORTS $(field .ssh_port)"
done
# shellcheck disable=SC2086 # one port per word
check_eq "distinct ports" 3 "$(echo $PORTS | tr ' ' '\n' | sort -u | wc -l)"
check_eq "distinct guest addresses" 4 "$(cat "$DATA"/vms/*/vm.json | jq -r .guest_address | sort -u | wc -l)"
for p in $PORTS; do check "SSH into parallel VM on $p" wait_for 180 ssh_ready "$p"; done
for n in p1 p2 p3; do api DELETE "/vms/$n" >/dev/null; done

echo "e2e: errors change nothing"
BEFORE=$(footprint)
bad() { # bad NAME EXPECTED_STATUS BODY EXPECTED_CODE
    api POST /vms "$3" >/dev/null
    check_eq "$1 -> $2 $4" "$2 $4" "$(status) $(field .code)"
    check "$1: error body is JSON" jq -e '.error | type == "string"' "$WORK/body"
}
# Every body rule is a unit test (VmRequestsTest); here one case of each status, through the
# real daemon, to show that a refused create leaves nothing behind.
bad "missing template" 400 "{\"ssh_public_key\":\"$KEY\"}" missing_field
check_eq "missing template message" "template is required" "$(field .error)"
bad "unknown template" 404 "{\"template\":\"nope\",\"ssh_public_key\":\"$KEY\"}" template_not_found
check_eq "unknown template message" "Template not found" "$(field .error)"
bad "key with command= option" 400 "{\"template\":\"debian-base\",\"ssh_public_key\":\"command=\\\"/bin/sh\\\" $KEY\"}" invalid_ssh_key
bad "name in use" 409 "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"alpha\"}" name_taken
check_eq "name in use message" "VM name already in use" "$(field .error)"
bad "disk 0" 400 "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"disk_size_gib\":0}" invalid_field
check_eq "disk range message" "disk_size_gib must be between 1 and 65536" "$(field .error)"
bad "malformed JSON" 400 '{"template":' invalid_json
bad "body over 64 KiB" 413 "{\"template\":\"debian-base\",\"x\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}" body_too_large
bad "disk larger than free space" 507 "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"disk_size_gib\":65000}" insufficient_space
check "507 message" sh -c "jq -r .error '$WORK/body' | grep -Eq '^Insufficient storage: [0-9.]+GB available, need 65002GB$'"
# Every free port of the range held by another process: 503, nothing created.
HOLDERS=""
for p in $(seq 22001 22020); do
    [ "$p" = "$A_PORT" ] && continue
    ip netns exec "$HOST_NS" socat -u "TCP-LISTEN:$p,reuseaddr" /dev/null >/dev/null 2>&1 &
    HOLDERS="$HOLDERS $!"
done
listening() { [ "$(hostns ss -Hltn 'sport >= :22001 and sport <= :22020' | wc -l)" -ge 20 ]; }
check "19 holders and alpha's proxy listen on the whole range" wait_for 10 listening
bad "ports exhausted" 503 "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\"}" capacity_ports
check "503 names the port range" sh -c "jq -r .error '$WORK/body' | grep -q '22001-22020'"
for h in $HOLDERS; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done
api POST /vms/nope/snapshot '{"template_name":"x"}' >/dev/null; check_eq "snapshot unknown VM 404" 404 "$(status)"
api POST /vms/alpha/snapshot '{}' >/dev/null
check_eq "snapshot without name 400" "400 template_name is required missing_field" "$(status) $(field .error) $(field .code)"
api POST /vms/alpha/snapshot '{"template_name":"a/b"}' >/dev/null
check_eq "snapshot bad name 400" "400 Invalid template name. Use alphanumeric, dash, or underscore only." "$(status) $(field .error)"
api POST /vms/alpha/snapshot '{"template_name":"debian-base"}' >/dev/null
check_eq "snapshot onto a protected template 409" 409 "$(status)"
check_eq "errors left nothing behind" "$BEFORE" "$(footprint)"
check "no partial template" sh -c "! ls '$DATA/templates' | grep -q partial"

echo "e2e: a Firecracker fault becomes an API error and leaves nothing"
# A second daemon in a namespace of its own (its own bridge and nftables table), with the
# contract test's stand-in Firecracker answering a fault at the root drive. The fault is set
# in the stand-in's wrapper: the daemon passes none of its own environment to children.
FC_NS=sbe2e-fc-$$
ip netns add "$FC_NS"; ip -n "$FC_NS" link set lo up
mkdir -p "$WORK/fc/templates"
cp --sparse=always "$GUEST/rootfs.ext4" "$WORK/fc/templates/debian-base.ext4"
printf '#!/bin/sh\nexec env FAKE_FC_FAULT="PUT /drives/rootfs" %s -cp %s io.scalebox.hypervisor.FakeFirecracker "$@"\n' \
    "$TARGET/runtime/bin/java" "$TARGET/test-classes:$CP" >"$WORK/fake-firecracker"
chmod 0755 "$WORK/fake-firecracker"
(umask 077 && sed -e "s|^DATA_DIR=.*|DATA_DIR=$WORK/fc|" -e 's|^HYPERVISOR=.*|HYPERVISOR=firecracker|' \
    "$WORK/config" >"$WORK/fc.config")
echo "FIRECRACKER_BIN=$WORK/fake-firecracker" >>"$WORK/fc.config"
# shellcheck disable=SC2046 # the command's words
ip netns exec "$FC_NS" $(daemon_command "$WORK/fc-run") --config "$WORK/fc.config" >"$WORK/fc.log" 2>&1 &
FC_PID=$!
fc_up() { ip netns exec "$FC_NS" curl -sf http://127.0.0.1:8080/health; }
if wait_for 30 fc_up; then
    ip netns exec "$FC_NS" curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        --data-binary "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\"}" \
        http://127.0.0.1:8080/vms >"$WORK/status"
    check_eq "firecracker fault -> 500 hypervisor_failed" "500 hypervisor_failed" "$(status) $(field .code)"
    check "the error carries Firecracker's fault_message" sh -c "jq -r .error '$WORK/body' | grep -q 'PUT /drives/rootfs answered 400: fault injected at PUT /drives/rootfs'"
    check_eq "no VM directory left" 0 "$(find "$WORK/fc/vms" -mindepth 1 -maxdepth 1 | wc -l)"
    check_eq "no TAP left" 0 "$(ip netns exec "$FC_NS" ip -o link show | grep -c ' sbx' || true)"
    check "no firecracker process left" no_process "$WORK/fc/vms/"
    check_eq "no VM listed" 0 "$(ip netns exec "$FC_NS" curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/vms | jq '.vms | length')"
else
    fail "firecracker daemon did not start" "$(tail -5 "$WORK/fc.log")"
fi
kill "$FC_PID"; wait "$FC_PID" 2>/dev/null
ip netns del "$FC_NS"

echo "e2e: stop and start (the guest shuts down cleanly)"
A_CONSOLE=$DATA/vms/$A_ID/console.log
# No sync: only a clean shutdown keeps what is still in the guest's page cache.
vmssh "$A_PORT" 'echo unsynced-1 >/home/user/unsynced'
api POST /vms/alpha/stop '{"force":"yes"}' >/dev/null
check_eq "stop with a non-boolean force is 400" "400 force must be true or false" "$(status) $(field .error)"
api POST /vms/alpha/stop '[true]' >/dev/null
check_eq "stop with a non-object body is 400" 400 "$(status)"
api GET /vms/alpha >/dev/null; check_eq "a refused stop changes nothing" running "$(field .status)"
api POST /vms/alpha/stop >/dev/null
check_eq "stop 200, status stopped" "200 stopped" "$(status) $(field .status)"
check "the guest was asked and powered off by itself (daemon log)" grep -q "$A_ID: guest powered off by itself in" "$WORK/daemon.log"
check "the guest synced its filesystems (console)" grep -q 'filesystems synced, poweroff' "$A_CONSOLE"
check_eq "same id and port" "$A_ID $A_PORT" "$(field .id) $(field .ssh_port)"
check "no hypervisor after stop" no_process "$DATA/vms/$A_ID/"
check_eq "no TAP after stop" 0 "$(hostns ip -o link show | grep -c ' sbx' || true)"
check "SSH port closed while stopped" sh -c "! ip netns exec $CLIENT_NS timeout 3 bash -c 'echo > /dev/tcp/192.0.2.1/$A_PORT' 2>/dev/null"
api POST /vms/alpha/stop >/dev/null
check_eq "stop again is idempotent" "200 stopped" "$(status) $(field .status)"
api GET /vms/alpha >/dev/null; check_eq "GET shows stopped" stopped "$(field .status)"
api POST /vms/alpha/start >/dev/null
check_eq "start 200, status running" "200 running" "$(status) $(field .status)"
check "SSH after start" wait_for 120 ssh_ready "$A_PORT"
check_eq "disk kept across stop/start" from-alpha "$(vmssh "$A_PORT" cat /home/user/marker)"
check_eq "a file written without sync survives the stop" unsynced-1 "$(vmssh "$A_PORT" cat /home/user/unsynced)"
api POST /vms/alpha/start >/dev/null
check_eq "start again is idempotent" "200 running" "$(status) $(field .status)"

echo "e2e: a guest that ignores the power button is forced after VM_STOP_TIMEOUT; force at once"
vmssh "$A_PORT" 'sudo touch /etc/scalebox-test/ignore-power-button && sync' 2>/dev/null
api POST /vms/alpha/stop >/dev/null
check_eq "stop of an unresponsive guest 200, stopped" "200 stopped" "$(status) $(field .status)"
check "the guest ignored the request (console)" grep -q 'ignoring the poweroff request' "$A_CONSOLE"
check "the log says it was forced after the timeout" grep -q "$A_ID: guest did not power off within 20 s; forcing it off" "$WORK/daemon.log"
check "no hypervisor after the forced stop" no_process "$DATA/vms/$A_ID/"
api POST /vms/alpha/start >/dev/null
check "SSH after the forced stop" wait_for 120 ssh_ready "$A_PORT"
vmssh "$A_PORT" 'sudo rm /etc/scalebox-test/ignore-power-button && sync' 2>/dev/null
asked=$(grep -c "$A_ID: guest powered off by itself" "$WORK/daemon.log")
api POST /vms/alpha/stop '{"force":true}' >/dev/null
check_eq "stop with force 200, stopped" "200 stopped" "$(status) $(field .status)"
check "force: logged as forced on request" grep -q "$A_ID: stopped (forced on request)" "$WORK/daemon.log"
check_eq "force: the guest was not asked" "$asked" "$(grep -c "$A_ID: guest powered off by itself" "$WORK/daemon.log")"
api POST /vms/alpha/start >/dev/null
check "SSH after the forced stop on request" wait_for 120 ssh_ready "$A_PORT"

echo "e2e: stop while the guest is still booting"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"early\"}" >/dev/null
check_eq "create early 201" 201 "$(status)"
E_ID=$(field .id); E_PORT=$(field .ssh_port)
api POST /vms/early/stop >/dev/null
check_eq "stop during boot 200, stopped" "200 stopped" "$(status) $(field .status)"
check "stop during boot: one line says how it ended" grep -Eq "$E_ID: guest (powered off by itself|did not power off within)" "$WORK/daemon.log"
check "no hypervisor after a stop during boot" no_process "$DATA/vms/$E_ID/"
api POST /vms/early/start >/dev/null
check "SSH after a stop during boot" wait_for 120 ssh_ready "$E_PORT"
api DELETE /vms/early >/dev/null; check_eq "delete early 204" 204 "$(status)"
api POST /vms/nope/stop >/dev/null; check_eq "stop unknown 404" 404 "$(status)"
api POST /vms/nope/start >/dev/null; check_eq "start unknown 404" 404 "$(status)"

echo "e2e: daemon restart, hypervisor crash, orphans, corrupt record"
A_PID=$(jq -r .process.pid "$DATA/vms/$A_ID/vm.json")
daemon_stop
check "VM survives the daemon's stop" kill -0 "$A_PID"
daemon_start
api GET /vms/alpha >/dev/null
check_eq "re-attached: same id, port, status" "$A_ID $A_PORT running" "$(field .id) $(field .ssh_port) $(field .status)"
check_eq "same hypervisor process" "$A_PID" "$(jq -r .process.pid "$DATA/vms/$A_ID/vm.json")"
check_eq "SSH through the re-attached port" hello "$(vmssh "$A_PORT" echo hello)"
daemon_stop
kill "$A_PID"; for _ in $(seq 1 50); do kill -0 "$A_PID" 2>/dev/null || break; sleep 0.1; done
hostns ip tuntap add dev sbx00000000aa mode tap
hostns nft add rule inet scalebox prerouting udp dport 22099 dnat ip to 172.16.9.9:22099 comment '"vm-00000000beef"' 
mkdir -p "$DATA/vms/vm-00000000abcd"; echo '{"id": broken' >"$DATA/vms/vm-00000000abcd/vm.json"
mkdir -p "$DATA/vms/vm-00000000dead"   # an interrupted create: directory without record
hostns ip addr flush dev br0; hostns ip link set br0 down   # someone took the bridge down
daemon_start
check "bridge up again" sh -c "ip netns exec $HOST_NS ip -o link show dev br0 | grep -q '[<,]UP[,>]'"
check "bridge address back" sh -c "ip netns exec $HOST_NS ip -o -4 addr show dev br0 | grep -q ' 172.16.0.1/16 '"
api GET /vms/alpha >/dev/null
check_eq "crashed VM booted again (AUTOSTART)" running "$(field .status)"
check "new hypervisor process" test "$(jq -r .process.pid "$DATA/vms/$A_ID/vm.json")" != "$A_PID"
check "SSH after autostart" wait_for 120 ssh_ready "$A_PORT"
check "orphan TAP removed" sh -c "! ip netns exec $HOST_NS ip link show sbx00000000aa >/dev/null 2>&1"
check "orphan TAP logged" grep -q "removed orphan TAP sbx00000000aa" "$WORK/daemon.log"
check "orphan nftables rule removed" sh -c "! ip netns exec $HOST_NS nft list table inet scalebox | grep -q vm-00000000beef"
check "orphan nftables rule logged" grep -q "vm-00000000beef: removing orphan nftables rules" "$WORK/daemon.log"
check "corrupt record moved aside" sh -c "ls '$DATA/vms/vm-00000000abcd/' | grep -q '^vm.json.corrupt-'"
check "corrupt record logged as an error" grep -q "ERROR.*vm-00000000abcd: corrupt record" "$WORK/daemon.log"
check "interrupted create removed" test ! -e "$DATA/vms/vm-00000000dead"
api GET /vms >/dev/null; check_eq "only real VMs listed" alpha "$(field '[.vms[].name] | join(" ")')"
rm -rf "$DATA/vms/vm-00000000abcd"

echo "e2e: crash safety (the daemon halts at each step, as if SIGKILLed, then restarts twice)"
# What must not change across a restart: VMs, templates, and the VM footprint on the host.
state() {
    api GET /vms >/dev/null
    printf '%s | %s | %s\n' "$(field '[.vms[] | "\(.name):\(.status):\(.ssh_port)"] | join(",")')" \
        "$(cd "$DATA/templates" && printf '%s ' *)" "$(footprint)"
}
crash() { # crash POINT METHOD PATH [JSON]: run the request on a daemon that halts at POINT
    daemon_stop
    DAEMON_ENV="SCALEBOX_TEST_CRASH_AT=$1" daemon_start
    api "$2" "$3" "${4:-}" >/dev/null
    wait "$DAEMON_PID" 2>/dev/null; rc=$?
    check_eq "$1: the daemon died there" 137 "$rc"
    daemon_start
}
second_restart_changes_nothing() { # second_restart_changes_nothing POINT
    before=$(state); daemon_stop; daemon_start
    check_eq "$1: a second restart changes nothing" "$before" "$(state)"
}
BASE_STATE=$(state)
for point in create:allocated create:dir create:disk create:tap create:hypervisor create:booted create:recorded; do
    crash "$point" POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"crash\"}"
    api GET /vms/crash >/dev/null
    if [ "$(status)" = 200 ]; then
        port=$(field .ssh_port)
        check "$point: the VM exists and works" wait_for 120 ssh_ready "$port"
        second_restart_changes_nothing "$point"
        api DELETE /vms/crash >/dev/null
    else
        check_eq "$point: nothing of the VM remains" "$BASE_STATE" "$(state)"
        second_restart_changes_nothing "$point"
    fi
done
for point in delete:marked delete:halted; do
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"doomed\"}" >/dev/null
    crash "$point" DELETE /vms/doomed
    check_eq "$point: the delete was finished, nothing remains" "$BASE_STATE" "$(state)"
    second_restart_changes_nothing "$point"
done
for point in snapshot:paused snapshot:copied snapshot:scrubbed; do
    crash "$point" POST /vms/alpha/snapshot '{"template_name":"crash-snap"}'
    check_eq "$point: no template, no partial file" "$BASE_STATE" "$(state)"
    check_eq "$point: the source VM answers (not left paused)" hello "$(vmssh "$A_PORT" echo hello)"
    second_restart_changes_nothing "$point"
done

echo "e2e: delete the last VM"
api DELETE "/vms/$A_ID" >/dev/null
check_eq "delete by id 204" 204 "$(status)"
check_eq "nothing of any VM left" "qemu=0 taps=0 dirs=0 rules=0" "$(footprint)"
check "daemon logged no stack trace" sh -c "! grep -Eq '^[[:space:]]+at [a-z]' '$WORK/daemon.log'"
check "the daemon stops on SIGTERM" sh -c "kill $DAEMON_PID && for i in \$(seq 1 50); do kill -0 $DAEMON_PID 2>/dev/null || exit 0; sleep 0.2; done; exit 1"
summary e2e

