#!/bin/bash
# Guests are contained (engine.md "Containment"; README "Network isolation"), attacked for
# real: two guests under QEMU TCG behind the daemon in the namespaces of engine-env.sh, and
# on the client side of the host (CLIENT_NS, the host's default route) stand-ins for what
# sits behind a real host: "the internet" 9.9.9.9, a cloud metadata service 169.254.169.254,
# a private LAN machine 10.9.0.5 and the LAN's DNS server 10.9.0.53 (GUEST_DNS), each a
# listener answering with its name. Everything stays inside namespaces this suite makes.
# Usage: isolation.sh TARGET_DIR (the Maven target directory with runtime/, scalebox.jar, lib/)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
ENGINE_CONFIG="GUEST_DNS=10.9.0.53"
. "$HERE/engine-env.sh"
LISTENERS=""
cleanup() {
    for p in $LISTENERS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    engine_cleanup 40
}
trap cleanup EXIT
engine_start || exit 1

# listen NS ADDRESS PORT NAME: a TCP listener that answers every connection with NAME.
listen() {
    ip netns exec "$1" socat "TCP-LISTEN:$3,bind=$2,fork,reuseaddr" "SYSTEM:echo $4" >/dev/null 2>&1 &
    LISTENERS="$LISTENERS $!"
}
for a in 9.9.9.9 169.254.169.254 10.9.0.5 10.9.0.53; do ip -n "$CLIENT_NS" addr add "$a/32" dev lo; done
listen "$CLIENT_NS" 9.9.9.9 80 internet
listen "$CLIENT_NS" 169.254.169.254 80 metadata
listen "$CLIENT_NS" 10.9.0.5 80 lan
listen "$CLIENT_NS" 10.9.0.53 53 dns
listen "$CLIENT_NS" 10.9.0.53 80 dns-web
listen "$HOST_NS" 0.0.0.0 9999 host-service
# A LAN machine that routes the VM subnet through the host.
ip -n "$CLIENT_NS" route add 172.16.0.0/16 via 192.0.2.1
listening() { [ "$(ip netns exec "$1" ss -Hltn | grep -c "$2")" -ge 1 ]; }
check "the stand-ins listen" wait_for 10 sh -c "$(declare -f listening); listening $CLIENT_NS 10.9.0.53:80 && listening $HOST_NS :9999"

for n in alice bob; do
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"$n\"}" >/dev/null
    check_eq "create $n" 201 "$(status)"
done
A_PORT=$(api GET /vms/alice | jq -r .ssh_port); A_ID=$(field .id)
B_PORT=$(api GET /vms/bob | jq -r .ssh_port); B_ID=$(field .id)
A_IP=$(jq -r .guest_address "$DATA/vms/$A_ID/vm.json"); B_IP=$(jq -r .guest_address "$DATA/vms/$B_ID/vm.json")
A_MAC=$(jq -r .mac "$DATA/vms/$A_ID/vm.json")
check "alice: SSH" wait_for 120 ssh_ready "$A_PORT"
check "bob: SSH" wait_for 120 ssh_ready "$B_PORT"

# reach PORT HOST DPORT: what a TCP connection from the guest behind PORT to HOST:DPORT reads
# (empty when it cannot connect: every attempt is bounded by timeout).
reach() { vmssh "$1" "timeout 5 socat -T 3 - TCP:$2:$3,connect-timeout=3 </dev/null 2>/dev/null" 2>/dev/null; }
echo "isolation: guests to the outside, the host and each other"
check_eq "guest -> the internet (9.9.9.9:80) is allowed" internet "$(reach "$A_PORT" 9.9.9.9 80)"
check_eq "guest -> its DNS server, port 53 (GUEST_DNS)" dns "$(reach "$A_PORT" 10.9.0.53 53)"
check_eq "guest -> its DNS server, another port: blocked" "" "$(reach "$A_PORT" 10.9.0.53 80)"
check_eq "guest -> cloud metadata 169.254.169.254: blocked" "" "$(reach "$A_PORT" 169.254.169.254 80)"
check_eq "guest -> a private LAN address: blocked" "" "$(reach "$A_PORT" 10.9.0.5 80)"
check_eq "guest -> the API on the bridge address: blocked" "" "$(reach "$A_PORT" 172.16.0.1 8080)"
check_eq "guest -> the API on the host's own address: blocked" "" "$(reach "$A_PORT" 192.0.2.1 8080)"
check_eq "guest -> another host service: blocked" "" "$(reach "$A_PORT" 172.16.0.1 9999)"
check_eq "guest -> the host's SSH proxy ports: blocked" "" "$(reach "$A_PORT" 192.0.2.1 "$B_PORT")"
check_eq "guest -> another guest's port 22: blocked" "" "$(reach "$A_PORT" "$B_IP" 22)"
check "guest -> another guest at layer 2 (ARP): no answer" \
    sh -c "! ip netns exec $CLIENT_NS ssh -q -i $WORK/key -p $A_PORT -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes user@192.0.2.1 'sudo arping -q -c 2 -w 3 -I eth0 $B_IP' 2>/dev/null"
check "a LAN machine routing to the VM subnet cannot reach a guest directly" \
    sh -c "! ip netns exec $CLIENT_NS timeout 5 socat -T 3 - TCP:$A_IP:22,connect-timeout=3 </dev/null >/dev/null 2>&1"
check_eq "SSH through the host port still works" hello "$(vmssh "$A_PORT" echo hello)"

echo "isolation: mosh's UDP forward still reaches the guest"
vmssh "$A_PORT" "nohup socat UDP-LISTEN:$A_PORT,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &" 2>/dev/null
udp_echo() { [ "$(echo "ping-$1" | client timeout 3 socat -t 2 - "UDP:192.0.2.1:$1")" = "ping-$1" ]; }
check "UDP to the host port comes back from the guest" wait_for 30 udp_echo "$A_PORT"

echo "isolation: a guest claiming another guest's address"
keyscan() { client ssh-keyscan -T 5 -t ed25519 -p "$1" 192.0.2.1 2>/dev/null | awk '{print $3}'; }
A_KEY=$(keyscan "$A_PORT")
check "alice's host key seen through her port" test -n "$A_KEY"
vmssh "$B_PORT" "sudo ip addr add $A_IP/16 dev eth0; for i in 1 2 3; do sudo arping -q -U -c 1 -I eth0 -s $A_IP $A_IP; sudo arping -q -A -c 1 -I eth0 -s $A_IP $A_IP; done; true" 2>/dev/null
check_eq "the host still maps alice's address to her MAC" "$A_MAC" \
    "$(hostns ip neigh show "$A_IP" dev br0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')"
check_eq "alice's port still leads to alice (same host key)" "$A_KEY" "$(keyscan "$A_PORT")"
check_eq "and her SSH still works" hello "$(vmssh "$A_PORT" echo hello)"
check "the spoofed frames were counted and dropped" sh -c \
    "ip netns exec $HOST_NS nft list chain bridge scalebox guest_${B_ID#vm-} | grep -q 'arp saddr ip != $B_IP counter packets [1-9]'"
vmssh "$B_PORT" "sudo ip addr del $A_IP/16 dev eth0" 2>/dev/null

echo "isolation: the allow and deny lists"
daemon_stop
printf 'GUEST_EGRESS_ALLOW=10.9.0.5/32\nGUEST_EGRESS_DENY=9.9.9.0/24\n' >>"$WORK/config"
daemon_start
check_eq "GUEST_EGRESS_ALLOW opens a private address" lan "$(reach "$A_PORT" 10.9.0.5 80)"
check_eq "GUEST_EGRESS_DENY closes a public one" "" "$(reach "$A_PORT" 9.9.9.9 80)"
check_eq "the rest stays closed (metadata)" "" "$(reach "$A_PORT" 169.254.169.254 80)"
sed -i '/^GUEST_EGRESS_/d' "$WORK/config"
daemon_stop; daemon_start
check_eq "back to the default: the LAN is closed again" "" "$(reach "$A_PORT" 10.9.0.5 80)"
check_eq "and the internet open" internet "$(reach "$A_PORT" 9.9.9.9 80)"

echo "isolation: the rules stay in place"
api POST /vms/alice/stop >/dev/null; api POST /vms/alice/start >/dev/null
check "alice: SSH after stop/start" wait_for 120 ssh_ready "$A_PORT"
check_eq "after a stop/start: metadata blocked" "" "$(reach "$A_PORT" 169.254.169.254 80)"
check_eq "after a stop/start: internet open" internet "$(reach "$A_PORT" 9.9.9.9 80)"
hostns nft flush ruleset
restored() { hostns nft list table bridge scalebox >/dev/null 2>&1 && hostns nft list table inet scalebox >/dev/null 2>&1; }
check "a flushed ruleset is restored by the daemon" wait_for 60 restored
check "and the journal says so" wait_for 10 grep -q "nftables tables were flushed or changed by someone else; restored" "$WORK/daemon.log"
check_eq "after the repair: metadata blocked" "" "$(reach "$A_PORT" 169.254.169.254 80)"
check_eq "after the repair: another guest blocked" "" "$(reach "$A_PORT" "$B_IP" 22)"
check_eq "after the repair: internet open" internet "$(reach "$A_PORT" 9.9.9.9 80)"

echo "isolation: a host FORWARD policy of drop (Docker's) is reported"
hostns nft -f - <<'NFT'
table ip filter {
    chain FORWARD { type filter hook forward priority filter; policy drop; }
}
NFT
daemon_stop; daemon_start
check "the journal says how to let the bridge through" grep -q "iptables -I DOCKER-USER -i br0 -j ACCEPT" "$WORK/daemon.log"
check_eq "the other software's chain is left as it was (no rule added)" 0 \
    "$(hostns nft list chain ip filter FORWARD | grep -cE 'accept|drop$|jump' || true)"
hostns nft delete table ip filter

summary isolation
