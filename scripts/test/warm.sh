#!/bin/bash
# Warm templates, with real guests under QEMU TCG behind the daemon in the namespaces of
# engine-env.sh: the template's warm state is built by a private VM; three VMs created at once
# from it are each their own machine (MAC, address, hostname, machine-id, SSH host key, random
# bytes, clock), and no frame with the builder's MAC or address reaches the bridge (counted by a
# bridge table of the test's own, which also counts the clones' frames, so it can fail); a
# corrupt state falls back to a boot; a changed template is not restored from; other shapes boot.
# Usage: warm.sh TARGET_DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
. "$HERE/engine-env.sh"
trap 'hostns nft delete table bridge warmcount 2>/dev/null; engine_cleanup 40' EXIT
engine_start || exit 1

echo "warm: building the warm state"
api POST /templates/debian-base/warm >/dev/null
check_eq "POST /templates/debian-base/warm: 200, current" "200 true" "$(status) $(field .warm.current)"
check "its state's size and shape are shown" jq -e '.warm.state_bytes > 0 and .warm.vcpu_count == 1
    and .warm.mem_size_mib == 256 and (.warm.built_at | length) == 24' "$WORK/body"
api GET /templates >/dev/null
check_eq "GET /templates shows it" true "$(field '.templates[] | select(.name == "debian-base") | .warm.current')"
check_eq "the warm state is root's alone" "700 root" "$(stat -c '%a %U' "$DATA/warm/debian-base")"
check_eq "no builder VM is left (no record, no directory, no hypervisor)" "0 0" \
    "$(api GET /vms >/dev/null; field '.vms | length') $(find "$DATA/vms" -mindepth 1 -maxdepth 1 | wc -l)"
BUILT=$(grep 'warm state of debian-base built by a private VM' "$WORK/daemon.log" | tail -n 1)
B_IP=$(sed -n 's/.* at \([0-9.]*\) (.*/\1/p' <<<"$BUILT")
B_MAC=$(sed -n 's/.* (\([0-9a-f:]*\)):.*/\1/p' <<<"$BUILT")
check "the builder's address and MAC are logged ($B_IP, $B_MAC)" test -n "$B_IP" -a -n "$B_MAC"
api POST /templates/nope/warm >/dev/null
check_eq "warm of a template that does not exist: 404" "404 template_not_found" "$(status) $(field .code)"
api POST '/templates/..%2Fx/warm' >/dev/null
check_eq "warm of an invalid name: 400" 400 "$(status)"

# Frames entering the bridge, counted before anything else sees them: the builder's identity
# (must stay 0) and the clones' (must not: the counter works).
hostns nft -f - <<NFT
table bridge warmcount {
  set ip4 { type ether_addr . ipv4_addr; size 1024; flags dynamic; }
  set arps { type ether_addr . ipv4_addr; size 1024; flags dynamic; }
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    ether saddr $B_MAC counter comment "builder mac"
    iifname "sbx*" counter comment "all taps"
    iifname "sbx*" ether type ip add @ip4 { ether saddr . ip saddr }
    iifname "sbx*" ether type arp add @arps { arp saddr ether . arp saddr ip }
  }
}
NFT
counted() { hostns nft list table bridge warmcount | sed -n "s/.*packets \([0-9]*\) .*comment \"$1\".*/\1/p"; }

echo "warm: three VMs at once from the warm state"
PIDS=()
for n in 1 2 3; do
    client curl -s -o "$WORK/c$n" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"w$n\"}" \
        "$API/vms" >"$WORK/s$n" &
    PIDS+=($!)
done
wait "${PIDS[@]}" # not the daemon's
for n in 1 2 3; do
    check_eq "create w$n: 201 running" "201 running" "$(cat "$WORK/s$n") $(jq -r .status "$WORK/c$n")"
done
check_eq "all three restored, none booted" 3 "$(grep -c 'created w[123] from debian-base.s warm state' "$WORK/daemon.log")"
metrics() { client curl -s -H "Authorization: Bearer $TOKEN" "$API/metrics"; }
metrics >"$WORK/metrics"
check_eq "metrics: 3 creates restored" 3 "$(sed -n 's/^scalebox_warm_creates_total{result="restored"} \([0-9]*\).*/\1/p' "$WORK/metrics")"
check "metrics: restore and identity phases, no boot" sh -c \
    'grep -q "^scalebox_create_phase_duration_seconds_count{phase=\"restore\"} 3\(\.0\)\?$" "$1" &&
     grep -q "^scalebox_create_phase_duration_seconds_count{phase=\"identity\"} 3\(\.0\)\?$" "$1" &&
     ! grep -q "^scalebox_create_phase_duration_seconds_count{phase=\"boot\"}" "$1"' - "$WORK/metrics"

guest() { # guest NAME COMMAND: its stdout through exec, as root
    api POST "/vms/$1/exec" "$(jq -nc --arg c "$2" '{command: ["sh", "-c", $c], user: "root", timeout_ms: 60000}')" >/dev/null
    field .stdout | tr -d '\n'
}
ms() { date +%s%3N; }
declare -A SEEN
for n in 1 2 3; do
    PORT=$(jq -r .ssh_port "$WORK/c$n"); ID=$(jq -r .id "$WORK/c$n")
    IP=$(jq -r .guest_address "$DATA/vms/$ID/vm.json"); MAC=$(jq -r .mac "$DATA/vms/$ID/vm.json")
    check "w$n: SSH with the caller's key" wait_for 60 ssh_ready "$PORT"
    check_eq "w$n: its MAC is its own ($MAC)" "$MAC" "$(guest "w$n" 'cat /sys/class/net/eth0/address')"
    check_eq "w$n: its address is its own ($IP)" "$IP/16" "$(guest "w$n" 'ip -4 -o addr show dev eth0' | awk '{print $4}')"
    check_eq "w$n: its hostname is its name" "w$n" "$(guest "w$n" 'cat /proc/sys/kernel/hostname')"
    before=$(ms); g=$(guest "w$n" 'date +%s%3N'); after=$(ms)
    skew=0; [ "$g" -lt "$before" ] && skew=$((before - g)); [ "$g" -gt "$after" ] && skew=$((g - after))
    check "w$n: its clock is the host's (off by $skew ms)" test "$skew" -le 1000
    SEEN[mac$n]=$MAC
    SEEN[ip$n]=$IP
    SEEN[host$n]=w$n
    SEEN[mid$n]=$(guest "w$n" 'cat /etc/machine-id')
    SEEN[rand$n]=$(guest "w$n" 'head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n"')
    SEEN[key$n]=$(client ssh-keyscan -t ed25519 -p "$PORT" 192.0.2.1 2>/dev/null | ssh-keygen -lf - | awk '{print $2}')
    check "w$n: a machine-id, random bytes and a host key were read" \
        test -n "${SEEN[mid$n]}" -a ${#SEEN[rand$n]} -eq 64 -a -n "${SEEN[key$n]}"
done
for what in mac ip host mid rand key; do
    check "pairwise different: $what" test "${SEEN[${what}1]}" != "${SEEN[${what}2]}" \
        -a "${SEEN[${what}1]}" != "${SEEN[${what}3]}" -a "${SEEN[${what}2]}" != "${SEEN[${what}3]}"
done
# Every (MAC, address) pair seen on the bridge is a clone's own: none is the builder's MAC, and
# the builder's address (back in the pool, so a clone may have it now) only with its new owner's MAC.
PAIRS=$(printf '%s %s\n' "${SEEN[mac1]}" "${SEEN[ip1]}" "${SEEN[mac2]}" "${SEEN[ip2]}" "${SEEN[mac3]}" "${SEEN[ip3]}")
seen() { hostns nft -j list set bridge warmcount "$1" | jq -r '.nftables[] | .set? // empty | .elem[]?
    | (.elem.val? // .) | .concat | "\(.[0]) \(.[1])"' | sort -u; }
check_eq "no frame with the builder's MAC reached the bridge" 0 "$(counted 'builder mac')"
check "the count works: the clones' frames were counted ($(counted 'all taps'))" test "$(counted 'all taps')" -gt 0
only_clones() { # only_clones LINES: each "MAC address" line is one of $PAIRS (and there is one)
    [ -n "$1" ] || { echo "nothing seen"; return 1; }
    while read -r pair; do
        grep -qxF "$pair" <<<"$PAIRS" || { echo "not a clone's own: $pair"; return 1; }
    done <<<"$1"
}
check "IPv4 on the bridge: each (MAC, address) is a clone's own" only_clones "$(seen ip4)"
check "ARP on the bridge: each (MAC, address) is a clone's own" only_clones "$(seen arps)"

echo "warm: a state that cannot be loaded"
STATE=$(find "$DATA/warm/debian-base/state" -type f | head -n 1)
truncate -s 4096 "$STATE"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"fb\"}" >/dev/null
check_eq "create with a cut-short state: 201 all the same" 201 "$(status)"
FB_PORT=$(field .ssh_port)
check "it booted instead (logged)" grep -q 'restore from the warm state of debian-base failed, booting instead' "$WORK/daemon.log"
check_eq "metrics: one fell back" 1 "$(metrics | sed -n 's/^scalebox_warm_creates_total{result="fell_back"} \([0-9]*\).*/\1/p')"
check "the booted VM answers SSH" wait_for 120 ssh_ready "$FB_PORT"

echo "warm: a changed template and other shapes"
api POST /templates/debian-base/warm >/dev/null
check_eq "rebuilt: 200" 200 "$(status)"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"big\",\"mem_size_mib\":384}" >/dev/null
check_eq "a create of another size boots (201)" "201 0" \
    "$(status) $(grep -c 'created big from debian-base.s warm state' "$WORK/daemon.log")"
touch "$DATA/templates/debian-base.ext4"
api GET /templates >/dev/null
check_eq "a changed template's warm state is stale" false "$(field '.templates[] | select(.name == "debian-base") | .warm.current')"
api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"after\"}" >/dev/null
check_eq "a create from it boots (201)" "201 0" \
    "$(status) $(grep -c 'created after from debian-base.s warm state' "$WORK/daemon.log")"

echo "warm: delete"
for n in w1 w2 w3 fb big after; do api DELETE "/vms/$n" >/dev/null; done
check_eq "every VM deleted" 0 "$(api GET /vms >/dev/null; field '.vms | length')"
summary warm
