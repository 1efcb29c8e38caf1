#!/bin/bash
# Fleet mode with real parts on one machine: three etcd members (Debian's etcd-server, TLS with
# client certificates required) and three scaleboxd hosts, each in its own network namespace
# with its own bridge, nftables, forwarder and QEMU guests (the test guest, TCG), joined by a
# switch namespace; the client in a namespace of its own. The host's network is untouched.
#   namespaces  sw (bridge fleet0)  e1-e3 10.99.0.11-13  h1-h3 10.99.0.21-23  h4 .24  cli 10.99.0.5
# Every wait is bounded. Figures (create direct vs forwarded, time to unreachable and to rejoin,
# etcd memory, start with and without the fleet) are printed as "figure:" lines.
# Usage: fleet.sh TARGET_DIR   (FLEET_RUNS=N: creates per way in the latency figure, default 5)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
. "$HERE/engine-env.sh"
N=sbf$$
SW=$N-sw
CLI=$N-cli
ETCD_PIDS=()
declare -A HOST_PID
PKI=$WORK/pki
export ETCDCTL_API=3
RUNS=${FLEET_RUNS:-5}  # creates per way in the latency figure

ns() { echo "$N-$1"; }
in_cli() { ip netns exec "$CLI" "$@"; }
hip() { echo "10.99.0.2${1#h}"; }
eip() { echo "10.99.0.1${1#e}"; }

fleet_cleanup() {
    for h in h1 h2 h3 h4; do
        pid=${HOST_PID[$h]:-}
        [ -z "$pid" ] || { kill -CONT "$pid" 2>/dev/null; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    done
    if [ "$FAILED" -gt 0 ]; then
        for h in h1 h2 h3; do echo "--- $h log (last 25 lines)"; tail -n 25 "$WORK/$h/daemon.log" 2>/dev/null; done
    fi
    # Any daemon of this run whose PID was not kept (by its config path).
    for pid in $(pgrep -f -- "--config $WORK/h[0-9]/config" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    for pid in "${ETCD_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for pid in $(pgrep -f "$WORK/h[0-9]/data/vms/" 2>/dev/null) $(forwarders); do kill "$pid" 2>/dev/null; done
    sleep 0.5
    for pid in $(pgrep -f "$WORK/h[0-9]/data/vms/" 2>/dev/null) $(forwarders); do kill -9 "$pid" 2>/dev/null; done
    for n in sw cli e1 e2 e3 h1 h2 h3 h4; do ip netns del "$(ns "$n")" 2>/dev/null; done
    restore_host
    rm -rf "$WORK"
}
trap fleet_cleanup EXIT

# link NAME IP: a namespace on the switch.
link() {
    local n; n=$(ns "$1")
    ip netns add "$n"
    ip -n "$n" link set lo up
    ip link add "$N$1" netns "$n" type veth peer name "p$N$1" netns "$SW"
    ip -n "$SW" link set "p$N$1" master fleet0 up
    ip -n "$n" addr add "$2/24" dev "$N$1"
    ip -n "$n" link set "$N$1" up
}

pki() {
    mkdir -p "$PKI"
    (cd "$PKI" && {
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fleet-test-ca -keyout ca.key -out ca.pem
        for e in e1 e2 e3; do
            # Server and client use: the gateway dials its own gRPC port with this certificate.
            openssl req -newkey rsa:2048 -nodes -subj "/CN=$e" -keyout "$e.key" -out "$e.csr"
            printf 'subjectAltName=IP:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' "$(eip $e)" >"$e.ext"
            openssl x509 -req -in "$e.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$e.ext" -out "$e.pem"
        done
        for c in host other; do
            openssl req -newkey rsa:2048 -nodes -subj "/CN=$c" -keyout "$c.key" -out "$c.csr"
            printf 'extendedKeyUsage=clientAuth\n' >"$c.ext"
            signer=ca
            if [ "$c" = other ]; then  # a certificate from a CA etcd does not trust
                openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout other-ca.key -out other-ca.pem
                signer=other-ca
            fi
            openssl x509 -req -in "$c.csr" -CA "$signer.pem" -CAkey "$signer.key" -CAcreateserial -days 2 -extfile "$c.ext" -out "$c.pem"
        done
    }) >"$WORK/pki.log" 2>&1
    chmod 0644 "$PKI"/*.pem "$PKI"/*.key
}

CLUSTER="e1=http://10.99.0.11:2380,e2=http://10.99.0.12:2380,e3=http://10.99.0.13:2380"
ENDPOINTS="https://10.99.0.11:2379,https://10.99.0.12:2379,https://10.99.0.13:2379"
# etcd_start e1: a member (the same command restarts it on its data).
etcd_start() {
    local e=$1 ip; ip=$(eip "$1")
    ip netns exec "$(ns "$e")" etcd --name "$e" --data-dir "$WORK/$e" \
        --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
        --listen-client-urls "https://$ip:2379" --advertise-client-urls "https://$ip:2379" \
        --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token "$N" \
        --cert-file "$PKI/$e.pem" --key-file "$PKI/$e.key" --client-cert-auth --trusted-ca-file "$PKI/ca.pem" \
        --heartbeat-interval 250 --election-timeout 2500 --unsafe-no-fsync >>"$WORK/$e.log" 2>&1 &
    eval "ETCD_${e}=$!"
    ETCD_PIDS+=($!)
}
etcd_pid() { eval "echo \${ETCD_$1}"; }
ctl() { in_cli etcdctl --endpoints "$ENDPOINTS" --cacert "$PKI/ca.pem" --cert "$PKI/host.pem" --key "$PKI/host.key" \
    --command-timeout 3s "$@"; }

# host_start h1 [ENV...]: scaleboxd in its namespace, its own data, bridge, ports and run directory
# (NO_FLEET=1: a host on its own).
host_start() {
    local h=$1 dir=$WORK/$1; shift
    mkdir -p "$dir/data/templates"
    chgrp scalebox-vm "$dir/data" && chmod 0750 "$dir/data"
    chmod 0711 "$dir"
    [ -e "$dir/data/templates/debian-base.ext4" ] || cp --sparse=always "$GUEST/rootfs.ext4" "$dir/data/templates/debian-base.ext4"
    (umask 077 && guest_config "$dir/data" "$(hip "$h")" >"$dir/config" && echo VM_STOP_TIMEOUT=10 >>"$dir/config")
    [ -n "${NO_FLEET:-}" ] || (umask 077 && cat >>"$dir/config" <<CONF
FLEET_ETCD=$ENDPOINTS
FLEET_ETCD_CA=$PKI/ca.pem
FLEET_ETCD_CERT=$PKI/host.pem
FLEET_ETCD_KEY=$PKI/host.key
FLEET_URL=http://$(hip "$h"):8080
FLEET_HOST_NAME=$h
FLEET_CREATE_TIMEOUT=20
CONF
    )
    # shellcheck disable=SC2046,SC2086
    ip netns exec "$(ns "$h")" env "$@" $(daemon_command "$dir/run") --config "$dir/config" >>"$dir/daemon.log" 2>&1 &
    HOST_PID[$h]=$!
    wait_for 60 in_cli curl -sf "http://$(hip "$h"):8080/health"
}
host_stop() { kill "${HOST_PID[$1]}" 2>/dev/null; wait "${HOST_PID[$1]}" 2>/dev/null; }

# via HOST METHOD PATH [JSON]: the API of HOST; body in $OUT/body, status in $OUT/status ($OUT: $WORK
# unless a caller running in parallel names its own).
via() {
    local out=${OUT:-$WORK}
    in_cli curl -s -m 30 -o "$out/body" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "http://$(hip "$1"):8080$3" >"$out/status"
    cat "$out/body"
}
status() { cat "${OUT:-$WORK}/status"; }
field() { jq -r "$1" "${OUT:-$WORK}/body"; }
host_id() { via "$1" GET /info >/dev/null; field .fleet.host_id; }
host_status() { via "$1" GET /hosts >/dev/null; jq -r --arg id "$2" '.hosts[] | select(.id == $id) | .status' "$WORK/body"; }
ready_count() { via "$1" GET /hosts >/dev/null; jq '[.hosts[] | select(.status == "ready")] | length' "$WORK/body"; }
is_ready_count() { [ "$(ready_count "$1")" = "$2" ]; }
is_status() { [ "$(host_status "$1" "$2")" = "$3" ]; }
fleet_state() { via "$1" GET /info >/dev/null; field .fleet.state; }
is_state() { [ "$(fleet_state "$1")" = "$2" ]; }
create() { # create ENTRY NAME [HOST]: POST /vms through ENTRY
    via "$1" POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"$2\"${3:+,\"host\":\"$3\"}}" >/dev/null
}
vm_host() { via "$1" GET "/vms/$2" >/dev/null; field .host; }
qemu_pid() { pgrep -f "$WORK/h[0-9]/data/vms/$1/" | head -n 1; }
fssh() { # fssh IP PORT CMD...
    local ip=$1 port=$2; shift 2
    in_cli ssh -q -i "$WORK/key" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=10 -o BatchMode=yes "user@$ip" "$@"
}
vm_ssh() { # vm_ssh VM CMD...: through the VM's own host and port, as listed by h1
    local vm=$1; shift
    via h1 GET "/vms/$vm" >/dev/null
    fssh "$(field .ip)" "$(field .ssh_port)" "$@"
}
has_vms() { via "$1" GET /hosts >/dev/null; jq -e --arg id "$2" '.hosts[] | select(.id == $id) | .load.vms >= 1' "$WORK/body"; }
host_no() { for h in h1 h2 h3; do [ "${ID[$h]}" != "$1" ] || echo "$h"; done; }
registry_has() { [ -n "$(ctl get --print-value-only "/scalebox/v1/$1")" ]; }
no_registry() { ! registry_has "$1"; }
daemon_rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

"$HERE/build-guest.sh" || exit 1
ensure_account
[ -x "$WORK/dist/scaleboxd" ] || dist
ssh-keygen -q -t ed25519 -N '' -f "$WORK/key"
KEY=$(cat "$WORK/key.pub")
pki

echo "fleet: three etcd members (TLS, client certificates required), three hosts"
ip netns add "$SW"
ip -n "$SW" link add fleet0 type bridge
ip -n "$SW" link set fleet0 up
link cli 10.99.0.5
for e in e1 e2 e3; do link "$e" "$(eip $e)"; done
for h in h1 h2 h3 h4; do link "$h" "$(hip $h)"; done
t0=$(ms)
for e in e1 e2 e3; do etcd_start "$e"; done
check "etcd: 3 members healthy" wait_for 60 ctl endpoint health
echo "figure: etcd start to 3/3 healthy $(($(ms) - t0)) ms"
check "etcd refuses a client without a certificate" sh -c "! ip netns exec $CLI curl -s -m 5 --cacert $PKI/ca.pem -X POST -d '{\"key\":\"eA==\"}' https://10.99.0.11:2379/v3/kv/range | grep -q header"
check "etcd refuses a certificate of another CA" sh -c "! ip netns exec $CLI curl -s -m 5 --cacert $PKI/ca.pem --cert $PKI/other.pem --key $PKI/other.key -X POST -d '{\"key\":\"eA==\"}' https://10.99.0.11:2379/v3/kv/range | grep -q header"
check "etcd answers the fleet's certificate" sh -c "ip netns exec $CLI curl -s -m 5 --cacert $PKI/ca.pem --cert $PKI/host.pem --key $PKI/host.key -X POST -d '{\"key\":\"eA==\"}' https://10.99.0.11:2379/v3/kv/range | grep -q header"

t0=$(ms)
if NO_FLEET=1 host_start h4; then pass "a host without the fleet keys starts"; else fail "a host without the fleet keys starts"; fi
echo "figure: h4 start to /health $(($(ms) - t0)) ms (fleet off)"
via h4 GET /info >/dev/null
check_eq "... and says it is on its own" null "$(field .fleet)"
via h4 GET /hosts >/dev/null
check_eq "... GET /hosts: 404" 404 "$(status)"
via h4 POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"host\":\"h1\"}" >/dev/null
check_eq "... a create naming a host: 400" "400 invalid_field" "$(status) $(field .code)"
host_stop h4
for h in h1 h2 h3; do
    t0=$(ms)
    if host_start "$h"; then pass "$h: /health answers"; else fail "$h: /health answers"; summary fleet; exit 1; fi
    echo "figure: $h start to /health $(($(ms) - t0)) ms (fleet on)"
done
t0=$(ms)
if wait_for 30 is_ready_count h1 3; then pass "bootstrap: GET /hosts on h1 lists 3 ready hosts"
else fail "bootstrap: GET /hosts on h1 lists 3 ready hosts"; summary fleet; exit 1; fi
echo "figure: hosts joined $(($(ms) - t0)) ms after the last /health"
declare -A ID
for h in h1 h2 h3; do ID[$h]=$(host_id "$h"); done
check_eq "h2 says it is attached" attached "$(fleet_state h2)"
check "host ids differ" test "${ID[h1]}" != "${ID[h2]}" -a "${ID[h2]}" != "${ID[h3]}" -a -n "${ID[h1]}"
check "the host id is kept under DATA_DIR/fleet (0700)" test "$(cat "$WORK/h1/data/fleet/host-id")" = "${ID[h1]}" \
    -a "$(stat -c %a "$WORK/h1/data/fleet")" = 700
via h1 GET /hosts >/dev/null
check "GET /hosts: url, load, templates" jq -e --arg id "${ID[h2]}" '.hosts[] | select(.id == $id) | .url == "http://10.99.0.22:8080" and .load.cpus > 0 and (.templates | index("debian-base"))' "$WORK/body"
via h1 GET /templates >/dev/null
check "GET /templates: debian-base on all three hosts" jq -e '.templates[] | select(.name == "debian-base") | .hosts | length == 3' "$WORK/body"
in_cli curl -s -o /dev/null -w '%{http_code}' "http://10.99.0.21:8080/hosts" >"$WORK/status"
check_eq "GET /hosts needs the token" 401 "$(cat "$WORK/status")"

echo "fleet: placement spreads VMs, each reachable by SSH at its own host"
declare -A PLACED
for v in va vb vc; do
    t0=$(ms)
    create h1 "$v"
    check_eq "create $v through h1: 201" 201 "$(status)"
    echo "figure: create $v (placed from h1, landed on $(field .host)) $(($(ms) - t0)) ms"
    PLACED[$v]=$(field .host)
    # The next placement sees this VM in the owner's load (published within 5 s).
    wait_for 20 has_vms h1 "${PLACED[$v]}"
done
check "three VMs on three different hosts" test "$(printf '%s\n' "${PLACED[@]}" | sort -u | wc -l)" = 3
for v in va vb vc; do
    via h1 GET "/vms/$v" >/dev/null
    check_eq "$v: ip is its host's address" "$(hip "$(host_no "${PLACED[$v]}")")" "$(field .ip)"
    check "$v: SSH at its host's port" wait_for 120 vm_ssh "$v" true
done
declare -A VID VIP VPORT
for v in va vb vc; do
    via h1 GET "/vms/$v" >/dev/null
    VID[$v]=$(field .id); VIP[$v]=$(field .ip); VPORT[$v]=$(field .ssh_port)
done
via h3 GET /vms >/dev/null
check "GET /vms on h3 lists all three with host and host_status" jq -e '[.vms[] | select(.name == "va" or .name == "vb" or .name == "vc") | select(.host != null and .host_status == "ready")] | length == 3' "$WORK/body"
check "the registry holds vms/ and names/" registry_has names/va

echo "fleet: calls through a host that is not the owner"
# vb's owner, and an entry host that is not it.
OWNER_B=${PLACED[vb]}
OB=$(host_no "$OWNER_B")
ENTRY=h1; [ "$OB" != h1 ] || ENTRY=h2
t0=$(ms); via "$OB" GET /vms/vb >/dev/null; direct=$(($(ms) - t0))
t0=$(ms); via "$ENTRY" GET /vms/vb >/dev/null; relayed=$(($(ms) - t0))
check_eq "GET through $ENTRY: 200 from the owner" "200 $OWNER_B" "$(status) $(field .host)"
echo "figure: GET /vms/vb direct $direct ms, through another host $relayed ms"
via "$ENTRY" POST /vms/vb/exec '{"command":["uname","-n"]}' >/dev/null
check_eq "exec through $ENTRY" "200 0" "$(status) $(field .exit_code)"
via "$ENTRY" POST /vms/vb/exec '{"command":["sh","-c","echo one; sleep 1; echo two"],"background":true}' >/dev/null
EXEC=$(field .exec_id)
in_cli curl -s -m 30 -H "Authorization: Bearer $TOKEN" "http://$(hip $ENTRY):8080/vms/vb/exec/$EXEC/stream" >"$WORK/stream"
check "an exec stream through $ENTRY carries both lines" grep -q two "$WORK/stream"
check "... and the first" grep -q one "$WORK/stream"
via "$ENTRY" POST /vms/vb/stop '{}' >/dev/null
check_eq "stop through $ENTRY" "200 stopped" "$(status) $(field .status)"
via "$ENTRY" POST /vms/vb/start '{}' >/dev/null
check_eq "start through $ENTRY" "200 running" "$(status) $(field .status)"
check "vb answers SSH again" wait_for 120 vm_ssh vb true
via "$ENTRY" GET /vms/no-such-vm >/dev/null
check_eq "an unknown VM through any host: 404" 404 "$(status)"

echo "fleet: create latency on h2, asked directly and through h1 ($RUNS each)"
p95() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i<1) i=1; print a[i]}'; }
direct=""; relayed=""
for i in $(seq 1 "$RUNS"); do
    t0=$(ms); create h2 "lat-d$i" h2; direct="$direct $(($(ms) - t0))"; [ "$(status)" = 201 ] || fail "create lat-d$i: $(status)"
    t0=$(ms); create h1 "lat-r$i" h2; relayed="$relayed $(($(ms) - t0))"; [ "$(status)" = 201 ] || fail "create lat-r$i: $(status)"
    via h2 DELETE "/vms/lat-d$i" >/dev/null; via h2 DELETE "/vms/lat-r$i" >/dev/null
done
echo "figure: create on h2 direct p50 $(echo "$direct" | median) ms p95 $(echo "$direct" | tr ' ' '\n' | grep -v '^$' | p95) ms;" \
    "through h1 p50 $(echo "$relayed" | median) ms p95 $(echo "$relayed" | tr ' ' '\n' | grep -v '^$' | p95) ms"

echo "fleet: a name is taken once in the fleet, also by creates on three hosts at once"
wins=0; bad=0
for round in $(seq 1 20); do
    racers=()
    for h in h1 h2 h3; do
        (OUT=$WORK/r.$h; mkdir -p "$OUT"; create "$h" "race$round"; cp "$OUT/status" "$WORK/race.$h"; cp "$OUT/body" "$WORK/racebody.$h") &
        racers+=($!)
    done
    wait "${racers[@]}"  # not the etcd members and daemons, also children of this shell
    codes=$(for h in h1 h2 h3; do cat "$WORK/race.$h"; echo; done)
    ok=$(echo "$codes" | grep -c 201); conflict=$(echo "$codes" | grep -c 409)
    if [ "$ok" = 1 ] && [ "$conflict" = 2 ]; then
        wins=$((wins + 1))
    else
        bad=$((bad + 1)); echo "  round $round: $(echo "$codes" | tr '\n' ' ')"
    fi
    via h1 DELETE "/vms/race$round" >/dev/null
done
check_eq "20 rounds: exactly one 201 and two 409 each" "20 0" "$wins $bad"
check "409 says the name is taken in the fleet" grep -q name_taken "$(grep -l 409 "$WORK"/race.h? | head -n 1 | sed 's/race\./racebody./')"
check "the raced names are free again once deleted" wait_for 30 no_registry names/race20
create h2 va
check_eq "a name used on another host: 409" 409 "$(status)"

echo "fleet: drain and undrain (CLI)"
cli_wrapper "$WORK/cli"
sb() { in_cli env SCALEBOX_HOST=http://10.99.0.21:8080 SCALEBOX_TOKEN="$TOKEN" HOME="$WORK/home" "$WORK/cli/scalebox" "$@"; }
three_ready() { [ "$(sb hosts | grep -c ' ready ')" = 3 ]; }
check "scalebox hosts lists three ready hosts" three_ready
check "scalebox host drain h3" sb host drain h3
check "h3 shows draining" wait_for 10 is_status h1 "${ID[h3]}" draining
check "h3 itself sees it" wait_for 10 is_status h3 "${ID[h3]}" draining
create h1 vd h3
check_eq "create --host on a drained host: 409 host_not_ready" "409 host_not_ready" "$(status) $(field .code)"
create h3 vd
check_eq "create through the drained host itself: placed elsewhere" 201 "$(status)"
check "vd is not on h3" test "$(field .host)" != "${ID[h3]}"
check "scalebox host undrain h3" sb host undrain h3
check "h3 ready again" wait_for 10 is_status h1 "${ID[h3]}" ready
wait_for 10 is_status h3 "${ID[h3]}" ready
check "scalebox vm create --host h2" sb vm create -k "$KEY" -n ve --host h2
check_eq "ve is on h2" "${ID[h2]}" "$(vm_host h1 ve)"
refused_remove() { ! sb host remove h2; }
check "scalebox host remove of an alive host is refused" refused_remove

echo "fleet: one etcd member lost, then the leader"
kill -9 "$(etcd_pid e3)"
create h1 vf
check_eq "create with e3 down: 201" 201 "$(status)"
etcd_start e3
check "e3 back and healthy" wait_for 60 ctl endpoint health
LEADER=$(ctl endpoint status -w json | jq -r '.[] | select(.Status.leader == .Status.header.member_id) | .Endpoint' | sed 's|https://10.99.0.1\([0-9]\):2379|e\1|')
check "the leader is found" test -n "$LEADER"
kill -9 "$(etcd_pid "$LEADER")"
t0=$(ms)
create h2 vg
echo "figure: create right after the etcd leader was killed $(($(ms) - t0)) ms ($(status))"
# During the election a create waits up to 5 s for it: it succeeds, or (a longer election) says so.
check "a create during the election: 201, or 503 fleet_unavailable" grep -Eqx '201|503' "$WORK/status"
has_leader() { ctl endpoint status -w json 2>/dev/null | jq -e '[.[] | select(.Status.leader != "0" and .Status.leader != 0)] | length >= 2' >/dev/null; }
check "a new leader is elected" wait_for 60 has_leader
[ "$(status)" = 201 ] || create h2 vg
check_eq "create with the old leader gone: 201" 201 "$(status)"
etcd_start "$LEADER"
check "the old leader back and healthy" wait_for 60 ctl endpoint health
never_detached() { ! grep -q 'detached from the fleet' "$WORK"/h[123]/daemon.log; }
check "no host was ever detached" never_detached
check_eq "3 hosts ready" 3 "$(ready_count h1)"

echo "fleet: quorum lost, then back"
pids() { for v in va vb vc; do qemu_pid "${VID[$v]}"; done | sort | tr '\n' ' '; }
PIDS_BEFORE=$(pids)
kill -9 "$(etcd_pid e2)" "$(etcd_pid e3)"
sleep 1
t0=$(ms)
create h1 vh
took=$(($(ms) - t0))
check_eq "create without quorum: 503 fleet_unavailable" "503 fleet_unavailable" "$(status) $(field .code)"
check "within the client timeout (10 s)" test "$took" -lt 10000
echo "figure: create answered without quorum in $took ms"
for v in va vb vc; do check "SSH to $v works without etcd" fssh "${VIP[$v]}" "${VPORT[$v]}" true; done
via h1 GET /vms >/dev/null
listed=$(jq '[.vms[] | select(.name == "va" or .name == "vb" or .name == "vc")] | length' "$WORK/body")
check_eq "GET /vms still answers: h1's own VMs, the others' (status unknown) from its last copy" "200 3" "$(status) $listed"
[ "$listed" = 3 ] || jq -c '.vms[] | [.name, .host, .status, .host_status]' "$WORK/body"
OA=$(host_no "${PLACED[va]}")
via "$OA" GET /vms/va >/dev/null
check_eq "GET of a VM on its own host answers" "200 running" "$(status) $(field .status)"
sleep 12  # longer than a lease: the hosts see etcd gone
create h2 vh
check_eq "creates still 503 after a lease time" 503 "$(status)"
check_eq "hypervisor pids unchanged" "$PIDS_BEFORE" "$(pids)"
etcd_start e2; etcd_start e3
check "quorum back" wait_for 60 ctl endpoint health
t0=$(ms)
created_vh() { create h1 vh; [ "$(status)" = 201 ]; }
check "the hosts serve creates again" wait_for 60 created_vh
echo "figure: creates back $(($(ms) - t0)) ms after quorum returned"
check "3 hosts ready after quorum returned" wait_for 30 is_ready_count h1 3

echo "fleet: a host frozen (SIGSTOP) is unreachable; creates go elsewhere; a delete waits for it"
create h1 vi h2
check_eq "vi created on h2" 201 "$(status)"
VI_ID=$(field .id)
VB_PID=$(qemu_pid "$(via h1 GET /vms/vb >/dev/null; field .id)")
kill -STOP "${HOST_PID[h2]}"
t0=$(ms)
check "h2 shows unreachable within 30 s" wait_for 30 is_status h1 "${ID[h2]}" unreachable
echo "figure: host frozen to unreachable $(($(ms) - t0)) ms"
via h1 GET /vms/vi >/dev/null
check_eq "GET of its VM: status unknown, host_status unreachable" "200 unknown unreachable" "$(status) $(field .status) $(field .host_status)"
via h1 DELETE /vms/vi >/dev/null
check_eq "DELETE of its VM: 202 queued" "202 deleting" "$(status) $(field .status)"
via h1 POST /vms/vi/stop '{}' >/dev/null
check_eq "stop of its VM: 503 host_unreachable" "503 host_unreachable" "$(status) $(field .code)"
for i in 1 2; do
    create h1 "vj$i"
    check "create vj$i goes elsewhere" test "$(status)" = 201 -a "$(field .host)" != "${ID[h2]}"
done
create h1 vk h2
check_eq "create --host on the unreachable host: 409" 409 "$(status)"
kill -CONT "${HOST_PID[h2]}"
t0=$(ms)
check "h2 rejoins" wait_for 60 is_status h1 "${ID[h2]}" ready
echo "figure: host resumed to ready $(($(ms) - t0)) ms"
check "the queued delete is carried out on h2" wait_for 60 no_registry "vms/$VI_ID"
no_qemu() { [ -z "$(qemu_pid "$1")" ]; }
check "vi's hypervisor is gone" wait_for 30 no_qemu "$VI_ID"
check_eq "vb kept its hypervisor" "$VB_PID" "$(qemu_pid "$(via h1 GET /vms/vb >/dev/null; field .id)")"

echo "fleet: a host cut from etcd by nftables detaches, keeps its VMs, rejoins"
VC_ID=$(via h1 GET /vms/vc >/dev/null; field .id); VC_PID=$(qemu_pid "$VC_ID")
OC=$(host_no "${PLACED[vc]}")
ip netns exec "$(ns "$OC")" nft -f - <<'NFT'
table inet sbftest {
    chain out {
        type filter hook output priority 0;
        ip daddr 10.99.0.11-10.99.0.13 tcp dport 2379 drop
    }
}
NFT
t0=$(ms)
check "$OC detaches (its own view)" wait_for 30 is_state "$OC" detached
echo "figure: cut from etcd to detached $(($(ms) - t0)) ms"
create "$OC" vl
check_eq "a create through the cut host: 503" 503 "$(status)"
cut_view() {
    via "$OC" GET /hosts >/dev/null
    [ "$(jq -r '[.hosts[] | select(.this_host)] + [.hosts[] | select(.this_host | not) | select(.status != "removed")] | map(.status) | join(" ")' "$WORK/body")" = "detached unknown unknown" ]
}
# Its view of the others is unknown once its last read of etcd is older than a lease.
check "the cut host lists itself detached, the others unknown" wait_for 30 cut_view
OTHER=h1; [ "$OC" != h1 ] || OTHER=h2  # a host that still reads etcd
check "the others see it unreachable" wait_for 30 is_status "$OTHER" "${PLACED[vc]}" unreachable
via "$OC" GET /vms/vc >/dev/null
check_eq "its own VM still answers there" "200 running" "$(status) $(field .status)"
check_eq "vc kept its hypervisor" "$VC_PID" "$(qemu_pid "$VC_ID")"
ip netns exec "$(ns "$OC")" nft delete table inet sbftest
t0=$(ms)
check "$OC rejoins" wait_for 60 is_status h1 "${PLACED[vc]}" ready
echo "figure: healed to ready $(($(ms) - t0)) ms"

echo "fleet: a create killed after its reservation leaves no reservation behind"
host_stop h1
host_start h1 SCALEBOX_TEST_CRASH_AT=fleet-after-reserve
wait_for 30 is_state h1 attached
create h1 orphan
gone() { ! kill -0 "$1" 2>/dev/null; }
check "the entry host died mid-create" wait_for 10 gone "${HOST_PID[h1]}"
check "its reservation is in etcd" registry_has names/orphan
host_start h1
check "the reservation is cleared within the create timeout" wait_for 60 no_registry names/orphan
create h2 orphan
check_eq "the name can be used again" 201 "$(status)"

echo "fleet: a copy of a host's id does not join"
mkdir -p "$WORK/h4/data/fleet"
cp "$WORK/h3/data/fleet/host-id" "$WORK/h4/data/fleet/host-id"
check_here "h4 (h3's id) starts" host_start h4
check "h4 refuses to join: duplicate host id" wait_for 40 is_state h4 duplicate_host_id
via h4 GET /info >/dev/null
check "the error names the id and the way out" grep -q "duplicate host id ${ID[h3]}.*host-id" <(jq -r .fleet.problem "$WORK/body")
check_eq "h3 is still the one listed" "ready http://10.99.0.23:8080" "$(via h1 GET /hosts >/dev/null; jq -r --arg id "${ID[h3]}" '.hosts[] | select(.id == $id) | "\(.status) \(.url)"' "$WORK/body")"
create h4 vm4
check_eq "h4 refuses creates" 503 "$(status)"
host_stop h4

echo "fleet: remove a stopped host"
host_stop h3
check "h3 unreachable after its daemon stopped" wait_for 30 is_status h1 "${ID[h3]}" unreachable
check "scalebox host remove h3" sb host remove h3
no_vms_of() { via h1 GET /vms >/dev/null; ! jq -e --arg id "$1" '.vms[] | select(.host == $id)' "$WORK/body" >/dev/null; }
check "its VM records are gone" no_vms_of "${ID[h3]}"
check_here "h3 starts again" host_start h3
check "h3 stays out: removed" wait_for 30 is_state h3 removed

echo "fleet: figures"
for e in e1 e2 e3; do echo "figure: etcd $e RSS $(daemon_rss_kib "$(etcd_pid $e)") KiB"; done
echo "figure: scaleboxd h1 RSS $(daemon_rss_kib "${HOST_PID[h1]}") KiB (fleet on)"
summary fleet
