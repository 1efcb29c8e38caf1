# A throw-away bookworm container with systemd as PID 1 (systemd-nspawn, private
# network: nothing it does touches the host's interfaces). Source it, then:
#   ct_start NAME   boots it (root from the cached tarball $CT_IMAGE of cache-images.sh, built
#                   first if missing; extra systemd-nspawn arguments in CT_NSPAWN_ARGS). Its
#                   /dev/net/tun is a node of its own, mode CT_TUN_MODE (default 0600 root, as on
#                   a host without udev), whatever the host's node is; a reboot makes it anew.
#   ct CMD...       runs CMD inside (all namespaces of the container)
#   ct_reboot       powers it off and boots the same root again
#   ct_stop         powers it off and deletes its root
#   ct_install DEB  installs the package (apt-get, with its dependencies)
#   ct_start_ms     (benchmarks) restarts scaleboxd: ms from its process start to READY (/health 200)
#   ct_stop_base_build (benchmarks) stops the template build postinst started in the background
CACHE=${SCALEBOX_TEST_CACHE:-/var/cache/scalebox-test}
CT_ROOT=""
CT_NSPAWN=""
CT_PID=""

ct_start() {
    local out
    out=$("$(dirname "${BASH_SOURCE[0]}")/cache-images.sh" 2>&1) || { echo "$out"; return 1; }
    CT_ROOT=$(mktemp -d /var/tmp/scalebox-ct.XXXXXX)
    tar -C "$CT_ROOT" -xf "$CACHE/${CT_IMAGE:-bookworm-systemd.tar}"
    # mktemp made it 0700: unprivileged services (networkd) must be able to enter /.
    chmod 0755 "$CT_ROOT"
    CT_NAME=$1
    ct_boot
}

ct_boot() {
    # What the container's /dev holds after a boot: the node with its mode and no ACL. (nspawn
    # would copy the host's node, with the mode the host happens to have.)
    rm -f "$CT_ROOT.tun"
    mknod -m "${CT_TUN_MODE:-0600}" "$CT_ROOT.tun" c 10 200
    # shellcheck disable=SC2086
    systemd-nspawn -D "$CT_ROOT" --boot --private-network --register=no --keep-unit \
        --console=read-only --machine="$CT_NAME" --bind="$CT_ROOT.tun:/dev/net/tun" ${CT_NSPAWN_ARGS:-} \
        >>"$CT_ROOT.console.log" 2>&1 &
    CT_NSPAWN=$!
    # The container's PID 1 is nspawn's child running systemd.
    for _ in $(seq 1 100); do
        CT_PID=$(pgrep -P "$CT_NSPAWN" 2>/dev/null | head -n 1)
        if [ -n "$CT_PID" ] && [ "$(cat /proc/"$CT_PID"/comm 2>/dev/null)" = systemd ]; then break; fi
        CT_PID=""
        sleep 0.1
    done
    [ -n "$CT_PID" ] || { echo "container did not boot"; cat "$CT_ROOT.console.log"; return 1; }
    # Until the boot is over (running, or degraded); systemctl cannot even ask while PID 1's
    # bus is not up yet, and says nothing on stdout then.
    local state=""
    for _ in $(seq 1 300); do
        state=$(timeout 60 nsenter -t "$CT_PID" -a systemctl is-system-running --wait 2>/dev/null)
        [ -z "$state" ] || break
        sleep 0.2
    done
}

ct() {
    nsenter -t "$CT_PID" -a "$@"
}

ct_install() {
    cp "$1" "$CT_ROOT/root/s.deb"
    ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /root/s.deb
}

ct_stop_base_build() {
    # Minutes of debootstrap here, without a mirror: it would share the cores with what is measured.
    ct systemctl stop scalebox-base-build.service
}

ct_start_ms() {
    # systemd's own clock: the daemon's process start to its READY=1, which it sends once
    # recovery is done and the port is bound. Polling /health meanwhile would spawn a
    # client every few ms on the same cores and slow the start it measures.
    local start ready
    ct systemctl stop scaleboxd 2>/dev/null  # systemd warns that the socket would start it again: it may
    ct systemctl reset-failed scaleboxd 2>/dev/null  # a series of starts would hit StartLimitBurst
    ct systemctl start scaleboxd
    start=$(ct systemctl show -p ExecMainStartTimestampMonotonic --value scaleboxd)
    ready=$(ct systemctl show -p ActiveEnterTimestampMonotonic --value scaleboxd)
    if [ "$(ct curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/health)" != 200 ]; then
        echo "ready without /health 200" >&2
        return 1
    fi
    echo $(((ready - start) / 1000))
}

ct_poweroff() {
    if kill -0 "$CT_NSPAWN" 2>/dev/null; then
        ct systemctl poweroff >/dev/null 2>&1 || true
        # Bounded, yet long enough for VM units to shut their guests down cleanly.
        for _ in $(seq 1 1200); do kill -0 "$CT_NSPAWN" 2>/dev/null || break; sleep 0.1; done
        kill "$CT_NSPAWN" 2>/dev/null || true
        wait "$CT_NSPAWN" 2>/dev/null || true
    fi
}

ct_reboot() {
    ct_poweroff
    ct_boot
}

ct_stop() {
    [ -n "$CT_NSPAWN" ] || return 0
    ct_poweroff
    rm -rf "$CT_ROOT" "$CT_ROOT.console.log" "$CT_ROOT.tun"
    CT_NSPAWN=""
}
