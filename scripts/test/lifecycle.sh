#!/bin/bash
# The package lifecycle under a real systemd (package.md): install, configure,
# restart with a changed and with an invalid config, upgrade, remove, reinstall,
# purge. Usage: lifecycle.sh DEB_A DEB_B VERSION_B
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/container.sh"
DEB_A=$1 DEB_B=$2 VERSION_B=$3
trap ct_stop EXIT

echo "lifecycle: booting a bookworm container with systemd"
ct_start "sblc$$" || exit 1

http() { # http PORT PATH [TOKEN] -> status code
    ct curl -s -o /dev/null -w '%{http_code}' ${3:+-H "Authorization: Bearer $3"} "http://127.0.0.1:$1$2"
}
conf() { ct sed -n "s/^$1=//p" /etc/scalebox/config | tail -n 1; }
main_pid() { ct systemctl show -p MainPID --value scaleboxd; }
health_is() { [ "$(http "$1" /health)" = "$2" ]; }

echo "lifecycle: install"
check "apt-get install ./scalebox_A.deb" ct_install "$DEB_A"
[ "$FAILED" -eq 0 ] || { summary lifecycle; exit 1; }
check_eq "unit enabled" enabled "$(ct systemctl is-enabled scaleboxd)"
check_eq "unit active" active "$(ct systemctl is-active scaleboxd)"
check_eq "config is 0600 root:root" "600 root:root" "$(ct stat -c '%a %U:%G' /etc/scalebox/config)"
TOKEN=$(conf API_TOKEN)
check "token is sb- and 48 hex" sh -c "printf '%s' '$TOKEN' | grep -Eqx 'sb-[0-9a-f]{48}'"
check_eq "/health 200 right after install (Type=notify)" 200 "$(http 8080 /health)"
check_eq "/info without token 401" 401 "$(http 8080 /info)"
check_eq "/info with token 200" 200 "$(http 8080 /info "$TOKEN")"
check "br0 has 172.16.0.1/16" wait_for 15 sh -c "nsenter -t $CT_PID -a ip -4 addr show br0 | grep -q 'inet 172.16.0.1/16'"
check_eq "ip_forward on" 1 "$(ct cat /proc/sys/net/ipv4/ip_forward)"
check_eq "data dirs 0750" "750 750 750 750" \
    "$(ct stat -c '%a' /var/lib/scalebox /var/lib/scalebox/templates /var/lib/scalebox/vms /var/lib/scalebox/kernel | tr '\n' ' ' | sed 's/ $//')"
PID=$(main_pid)
check_eq "daemon shares the host's mount namespace" "$(ct readlink /proc/1/ns/mnt)" "$(ct readlink /proc/"$PID"/ns/mnt)"
check "CDS archive generated" ct test -s /var/cache/scalebox/scaleboxd.jsa
check "CDS archive mapped by the daemon" ct grep -q scaleboxd.jsa /proc/"$PID"/maps
check "token not in the daemon's arguments" sh -c "! nsenter -t $CT_PID -a cat /proc/$PID/cmdline | grep -qa '$TOKEN'"
check "journal: ready line at info priority" sh -c "nsenter -t $CT_PID -a journalctl -u scaleboxd -p info -o cat | grep -q 'listening on 0.0.0.0:8080'"
check "journal: priority prefixes are parsed, not printed" sh -c "! nsenter -t $CT_PID -a journalctl -u scaleboxd -o cat | grep -q '^<[0-9]>'"

echo "lifecycle: change API_PORT and restart"
ct sed -i 's/^API_PORT=.*/API_PORT=8181/' /etc/scalebox/config
check "restart with API_PORT=8181" ct systemctl restart scaleboxd
check_eq "new port answers" 200 "$(http 8181 /health)"
check_eq "old port is closed" 000 "$(http 8080 /health)"
check_eq "the API socket (scaleboxd.socket) moved with it" "0.0.0.0:8181 (Stream)" \
    "$(ct systemctl show -p Listen --value scaleboxd.socket)"

echo "lifecycle: invalid value"
ct sed -i 's/^API_PORT=.*/API_PORT=notaport/' /etc/scalebox/config
check "restart fails with an invalid API_PORT" sh -c "! nsenter -t $CT_PID -a systemctl restart scaleboxd"
check "journalctl -p err names the key" sh -c "nsenter -t $CT_PID -a journalctl -u scaleboxd -p err -o cat | grep -q 'API_PORT=\"notaport\" is invalid'"
sleep 6 # longer than RestartSec: an invalid config must not be retried in a loop
check_eq "no restart loop on a bad config" 0 "$(ct systemctl show -p NRestarts --value scaleboxd)"
check "check-config names the key" sh -c "nsenter -t $CT_PID -a scaleboxd --check-config 2>&1 | grep -q 'API_PORT=\"notaport\"'"
ct sed -i 's/^API_PORT=.*/API_PORT=8181/' /etc/scalebox/config
echo 'NOT_A_SCALEBOX_KEY=1' | ct tee -a /etc/scalebox/config >/dev/null
check "restart after the fix" ct systemctl restart scaleboxd
check_eq "active again" active "$(ct systemctl is-active scaleboxd)"
check_eq "/health 200 again" 200 "$(http 8181 /health)"
check "unknown key is a warning" sh -c "nsenter -t $CT_PID -a journalctl -u scaleboxd -p warning -o cat | grep -q 'unknown key NOT_A_SCALEBOX_KEY'"

echo "lifecycle: upgrade to $VERSION_B"
# A key this version lacks (as if B had added it) must be appended, nothing else touched.
ct sed -i '/^AUTOSTART=/d' /etc/scalebox/config
BEFORE=$(ct cat /etc/scalebox/config)
PID=$(main_pid)
check "apt-get install ./scalebox_B.deb" ct_install "$DEB_B"
check_eq "token kept" "$TOKEN" "$(conf API_TOKEN)"
check_eq "existing lines unchanged" "$BEFORE" "$(ct head -n "$(printf '%s\n' "$BEFORE" | wc -l)" /etc/scalebox/config)"
check_eq "missing key appended with its default" true "$(conf AUTOSTART)"
check "daemon restarted" test "$PID" != "$(main_pid)"
check "/info reports $VERSION_B" sh -c "nsenter -t $CT_PID -a curl -s -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:8181/info | grep -q '\"version\":\"$VERSION_B\"'"
check "CDS archive regenerated and mapped" ct grep -q scaleboxd.jsa /proc/"$(main_pid)"/maps

echo "lifecycle: remove"
check "apt-get remove" ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q scalebox
check "daemon inactive" sh -c "! nsenter -t $CT_PID -a systemctl is-active -q scaleboxd"
check "config kept" ct test -f /etc/scalebox/config
check "data kept" ct test -d /var/lib/scalebox/vms
check "bridge kept" ct ip link show br0

echo "lifecycle: reinstall"
check "apt-get install again" ct_install "$DEB_B"
check_eq "active after reinstall" active "$(ct systemctl is-active scaleboxd)"
check_eq "same token after reinstall" "$TOKEN" "$(conf API_TOKEN)"
check_eq "/info with the old token" 200 "$(http 8181 /info "$TOKEN")"

echo "lifecycle: purge"
PURGED="/etc/scalebox /var/lib/scalebox /var/cache/scalebox /etc/sysctl.d/60-scalebox.conf
    /etc/systemd/network/50-scalebox-bridge.netdev /etc/systemd/network/50-scalebox-bridge.network
    /etc/systemd/system/multi-user.target.wants/scaleboxd.service
    /etc/systemd/system/sockets.target.wants/scaleboxd.socket /usr/lib/scalebox"
for path in $PURGED; do
    check "before purge: $path exists" ct test -e "$path"
done
check "before purge: br0 exists" ct ip link show br0
check "before purge: the accounts scalebox-vm and scalebox-net exist" ct id scalebox-vm scalebox-net
for table in "inet scalebox" "bridge scalebox"; do
    # shellcheck disable=SC2086 # family and name are two words
    check "before purge: nftables table $table exists" ct nft list table $table
done
check "apt-get purge" ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q scalebox
for path in $PURGED /etc/systemd/system/scaleboxd.service; do
    check "purge removed $path" sh -c "! nsenter -t $CT_PID -a test -e $path"
done
check "purge removed br0" sh -c "! nsenter -t $CT_PID -a ip link show br0"
for account in scalebox-vm scalebox-net; do
    check "purge removed the account $account" sh -c "! nsenter -t $CT_PID -a getent passwd $account && ! nsenter -t $CT_PID -a getent group $account"
done
for table in "inet scalebox" "bridge scalebox"; do
    check "purge removed nftables table $table" sh -c "! nsenter -t $CT_PID -a nft list table $table"
done
check_eq "package gone from dpkg" "" "$(ct dpkg-query -W -f='${db:Status-Status}' scalebox 2>/dev/null | grep -v not-installed)"

summary lifecycle
