#!/bin/bash
# HTTPS to every VM (README "HTTPS"), with real parts inside network namespaces: Debian's
# pebble as the ACME CA (PEBBLE_VA_ALWAYS_VALID: no DNS), Debian's caddy as the operator's
# web server (its own Caddyfile with a site of its own, admin API on localhost:2019),
# scaleboxd with BASE_DOMAIN=vms.test and API_DOMAIN=api.test, test guests serving HTTP on
# port 8080 (scripts/test/guest-web.pl), and a client that resolves names with
# curl --resolve and trusts only pebble's root.
# Usage: https.sh TARGET_DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TARGET=$(cd "$1" && pwd)
. "$HERE/engine-env.sh"

CADDY_PID="" PEBBLE_PID=""
cleanup() {
    for pid in $CADDY_PID $PEBBLE_PID; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    [ "${FAILED:-0}" -gt 0 ] && [ -f "$WORK/caddy.log" ] && { echo "--- caddy log (last 20 lines)"; tail -20 "$WORK/caddy.log"; }
    engine_cleanup
}
trap cleanup EXIT

ENGINE_CONFIG="API_DOMAIN=api.test
ACME_CA=https://127.0.0.1:14000/dir
ACME_CA_ROOT=$WORK/pki/pebble.pem
ACME_EMAIL=ops@example.com"
mkdir -p "$WORK/pki"

echo "https: pebble (ACME) and caddy in the daemon's namespace"
engine_start || exit 1
# pebble's own HTTPS certificate; Caddy trusts it through ACME_CA_ROOT.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pebble -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$WORK/pki/pebble.key" -out "$WORK/pki/pebble.pem" 2>/dev/null
cat >"$WORK/pki/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:14000", "managementListenAddress": "127.0.0.1:15000",
 "certificate": "$WORK/pki/pebble.pem", "privateKey": "$WORK/pki/pebble.key",
 "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
ip netns exec "$HOST_NS" env PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
    pebble -config "$WORK/pki/pebble.json" >"$WORK/pebble.log" 2>&1 &
PEBBLE_PID=$!
root_ready() { hostns curl -sf --cacert "$WORK/pki/pebble.pem" https://127.0.0.1:15000/roots/0 -o "$WORK/pki/root.pem"; }
check "pebble serves its root" wait_for 30 root_ready

# The operator's Caddy: a site of its own on :80, admin on localhost:2019, storage in $WORK.
mkdir -p "$WORK/caddy"
printf '{\n\tadmin localhost:2019\n}\n:80 {\n\trespond "operator site" 200\n}\n' >"$WORK/Caddyfile"
caddy_start() {
    ip netns exec "$HOST_NS" env HOME="$WORK/caddy" XDG_DATA_HOME="$WORK/caddy/data" XDG_CONFIG_HOME="$WORK/caddy/config" \
        caddy run --config "$WORK/Caddyfile" --adapter caddyfile >>"$WORK/caddy.log" 2>&1 &
    CADDY_PID=$!
}
check "journal: BASE_DOMAIN set but Caddy not answering is said" wait_for 15 grep -q "WARN  CaddySite: https: BASE_DOMAIN is set but Caddy does not answer at localhost:2019" "$WORK/daemon.log"
caddy_start
# The daemon already runs: its next check (every 5 s) finds Caddy and adds the site.
https_active() { [ "$(api GET /info | jq -r '.https.active')" = true ]; }
check "/info: HTTPS active once Caddy answers" wait_for 30 https_active
check_eq "/info: caddy state and API domain" "active api.test" "$(api GET /info | jq -r '"\(.https.caddy) \(.https.api_domain)"')"

# A VM serving HTTP on its port 8080.
# web_up NAME PORT: the guest web app answers on the guest itself.
web_up() { vmssh "$2" "curl -sf http://127.0.0.1:8080/ 2>/dev/null || perl -e 'use IO::Socket::INET; IO::Socket::INET->new(\"127.0.0.1:8080\") or exit 1'"; }
start_web() { # start_web NAME PORT
    vmssh "$2" 'cat >/tmp/web.pl' <"$HERE/guest-web.pl"
    vmssh "$2" "nohup perl /tmp/web.pl 8080 $1 >/tmp/web.log 2>&1 </dev/null &"
    wait_for 30 web_up "$1" "$2"
}
make_vm() { # make_vm NAME -> PORT
    api POST /vms "{\"template\":\"debian-base\",\"ssh_public_key\":\"$KEY\",\"name\":\"$1\"}" >/dev/null
    [ "$(status)" = 201 ] || { echo "create $1: $(status) $(cat "$WORK/body")" >&2; return 1; }
    field .ssh_port
}
A_PORT=$(make_vm alpha)
check "alpha: SSH" wait_for 120 ssh_ready "$A_PORT"
check "alpha: web app on port 8080" start_web alpha "$A_PORT"

# get NAME PATH [curl options]: the client's HTTPS request to NAME.
get() {
    local name=$1 path=$2; shift 2
    client curl -s --max-time 30 --resolve "$name:443:192.0.2.1" --resolve "$name:80:192.0.2.1" \
        --cacert "$WORK/pki/root.pem" "$@" "https://$name$path"
}
page_is() { [ "$(get "$1" /)" = "$2" ]; }
echo "https: a VM's URL"
check "https://alpha.vms.test/ answers from the VM (certificate issued on demand)" wait_for 60 page_is alpha.vms.test "hello from alpha"
check_eq "the certificate verifies against pebble's root" 0 "$(get alpha.vms.test / -o /dev/null -w '%{ssl_verify_result}')"
check "the certificate names the VM" sh -c "ip netns exec $CLIENT_NS openssl s_client -connect 192.0.2.1:443 -servername alpha.vms.test </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName | grep -q 'DNS:alpha.vms.test'"
check_eq "http:// redirects to https://" "308 https://alpha.vms.test/" \
    "$(client curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --resolve alpha.vms.test:80:192.0.2.1 http://alpha.vms.test/)"
check_eq "a streamed (chunked) response passes" "$(printf 'line %s\n' 1 2 3 4 5)" "$(get alpha.vms.test /stream -N)"
BIG=$(client curl -s --max-time 60 --resolve alpha.vms.test:443:192.0.2.1 --cacert "$WORK/pki/root.pem" https://alpha.vms.test/big | sha256sum | cut -d' ' -f1)
EXPECTED=$(perl -e 'my $b = join("", map { chr(65 + $_ % 26) } 0 .. 1023) x 1024; print $b for 1 .. 10' | sha256sum | cut -d' ' -f1)
check_eq "10 MiB pass intact" "$EXPECTED" "$BIG"
check_eq "a WebSocket passes (upgrade, one frame each way)" "echo from alpha: ping" \
    "$(ip netns exec "$CLIENT_NS" "$HERE/ws-echo.py" alpha.vms.test 192.0.2.1 "$WORK/pki/root.pem" 2>&1)"
check "the operator's own site still answers" sh -c "ip netns exec $CLIENT_NS curl -s http://192.0.2.1/ | grep -qx 'operator site'"
check "a name that is no VM gets no certificate" sh -c "! ip netns exec $CLIENT_NS curl -s --max-time 20 --resolve nobody.vms.test:443:192.0.2.1 --cacert $WORK/pki/root.pem https://nobody.vms.test/"
check_eq "and none is stored for it" "" "$(find "$WORK/caddy" -name '*nobody.vms.test*' | head -1)"
cli_wrapper "$WORK/cli"
check "the CLI shows the URL" sh -c "ip netns exec $CLIENT_NS env -i HOME=$WORK SCALEBOX_HOST=$API SCALEBOX_TOKEN=$TOKEN $WORK/cli/scalebox vm get alpha | grep -q 'https://alpha.vms.test'"

echo "https: a second VM, then its deletion"
B_PORT=$(make_vm beta)
check "beta: SSH" wait_for 120 ssh_ready "$B_PORT"
check "beta: web app" start_web beta "$B_PORT"
check "https://beta.vms.test/ answers from beta" wait_for 60 page_is beta.vms.test "hello from beta"
check "beta has its own certificate" sh -c "ip netns exec $CLIENT_NS openssl s_client -connect 192.0.2.1:443 -servername beta.vms.test </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName | grep -q 'DNS:beta.vms.test'"
check_eq "alpha still answers as alpha" "hello from alpha" "$(get alpha.vms.test /)"
check_eq "delete beta" 204 "$(api DELETE /vms/beta >/dev/null; status)"
check_eq "its name stops working (502 from the router)" 502 "$(get beta.vms.test / -o /dev/null -w '%{http_code}')"

echo "https: restarts and reloads"
kill "$CADDY_PID"; wait "$CADDY_PID" 2>/dev/null
caddy_start
check "after a Caddy restart the site is back (within the 5 s check)" wait_for 30 page_is alpha.vms.test "hello from alpha"
ip netns exec "$HOST_NS" env HOME="$WORK/caddy" caddy reload --config "$WORK/Caddyfile" --adapter caddyfile --address localhost:2019 >>"$WORK/caddy.log" 2>&1
check "after a Caddy reload of its own Caddyfile the site is back" wait_for 30 page_is alpha.vms.test "hello from alpha"
# A request every 100 ms through Caddy while the daemon restarts (here without systemd, so its
# router port is closed for a moment): Caddy dials again, and no request fails.
(for _ in $(seq 1 60); do get alpha.vms.test / -o /dev/null -w '%{http_code}\n' >>"$WORK/https-loop.txt"; sleep 0.1; done) &
LOOP=$!
wait_for 30 sh -c "[ \$(wc -l <'$WORK/https-loop.txt') -ge 5 ]"
daemon_stop
daemon_start
wait "$LOOP"
check_eq "HTTPS requests through a daemon restart: 60 answered, none failed" "60 0" \
    "$(wc -l <"$WORK/https-loop.txt") $(grep -vcx 200 "$WORK/https-loop.txt")"
check "after a daemon restart the VM still answers" wait_for 30 page_is alpha.vms.test "hello from alpha"

echo "https: the API at https://api.test"
check_eq "GET https://api.test/health" '{"status":"ok"}' "$(get api.test /health)"
check_eq "GET https://api.test/info with the token" true "$(get api.test /info -H "Authorization: Bearer $TOKEN" | jq -r .https.active)"

echo "https: removal"
daemon_stop
check "scaleboxd --caddy-remove" ip netns exec "$HOST_NS" "$TARGET/runtime/bin/java" -cp "$CP" io.scalebox.daemon.Main --caddy-remove "$WORK/config"
check_eq "nothing of scalebox's is left in Caddy" "" "$(hostns curl -s localhost:2019/config/ | grep -o 'scalebox[-a-z]*' | sort -u)"
check "the operator's site is untouched" sh -c "ip netns exec $CLIENT_NS curl -s http://192.0.2.1/ | grep -qx 'operator site'"
check "Caddy's files were never touched by scalebox" test "$(cat "$WORK/Caddyfile")" = "$(printf '{\n\tadmin localhost:2019\n}\n:80 {\n\trespond "operator site" 200\n}\n')"
summary https
