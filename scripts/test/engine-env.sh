# The engine test harness, shared by scripts/test/e2e.sh and scripts/bench/engine.sh.
# Source it with TARGET (Maven target dir) set; then `engine_start [DATA_DIR]` runs scaleboxd
# in network namespaces made here (the host's network is untouched):
#   netns $HOST_NS   scaleboxd (the packaged runtime, JVM options and jars), its forwarder (the VM
#                    ports), br0 172.16.0.1/16, TAPs, QEMU, nftables; 192.0.2.1/24 on a veth to
#   netns $CLIENT_NS the client: curl and ssh to 192.0.2.1 as a user would.
# Extra config lines can be given in ENGINE_CONFIG; ENGINE_KERNEL, ENGINE_INITRD and ENGINE_BASE
# replace the test guest's kernel, initrd and debian-base image. `engine_stop` ends everything
# it started.
CACHE=${SCALEBOX_TEST_CACHE:-/var/cache/scalebox-test}
GUEST=$CACHE/guest
HOST_NS=sbe2e-host-$$
CLIENT_NS=sbe2e-client-$$
WORK=$(mktemp -d /var/tmp/scalebox-e2e.XXXXXX)
DATA=$WORK/data
TOKEN=sb-e2e-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
API=http://192.0.2.1:8080
DAEMON_PID=""
CP=$TARGET/scalebox.jar:$(ls "$TARGET"/lib/*.jar | tr '\n' ':')

client() { ip netns exec "$CLIENT_NS" "$@"; }

# cli_wrapper DIR: writes DIR/scalebox, the CLI from the build tree with the packaged launcher's
# JVM flags, its template builder from scripts/ (so it also runs with `env -i` and under script(1)).
cli_wrapper() {
    mkdir -p "$1"
    printf '#!/bin/sh\nexec "%s" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Dscalebox.libexec="%s" -cp "%s" io.scalebox.cli.Main "$@"\n' \
        "$TARGET/runtime/bin/java" "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" "$CP" >"$1/scalebox"
    chmod 0755 "$1/scalebox"
}
hostns() { ip netns exec "$HOST_NS" "$@"; }

# forwarders: the PIDs of the forwarders this daemon started (their command lines name our run directory).
forwarders() { pgrep -f -- "--forwarder $WORK/" 2>/dev/null; }

engine_stop() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
    fi
    # Hypervisors this daemon started (their command lines name our data dir), and its forwarders.
    for pid in $(pgrep -f "$DATA/vms/" 2>/dev/null) $(forwarders); do kill "$pid" 2>/dev/null; done
    sleep 0.5
    for pid in $(pgrep -f "$DATA/vms/" 2>/dev/null) $(forwarders); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$HOST_NS" 2>/dev/null
    ip netns del "$CLIENT_NS" 2>/dev/null
}

# engine_cleanup [LINES]: the suites' EXIT trap: the daemon log's last LINES (40) when a check
# failed, then everything engine_start made, and the host as it was before. Suites with more
# to undo call it from their trap.
engine_cleanup() {
    if [ "${FAILED:-0}" -gt 0 ] && [ -f "$WORK/daemon.log" ]; then
        echo "--- daemon log (last ${1:-40} lines)"; tail -n "${1:-40}" "$WORK/daemon.log"
    fi
    engine_stop
    restore_host
    rm -rf "$WORK"
}

# The package's unprivileged account for hypervisors and image tools (postinst makes it on a
# real install), made here if the host lacks it; the work directory opened to its group, as the
# daemon opens DATA_DIR. /dev/net/tun stays as the host has it: where it is 0600 (no udev), the
# daemon gives the account an ACL entry of its own, as it does on a real host. restore_host
# undoes all of it, so that no later suite depends on this one.
ensure_account() {
    [ -e "$WORK/tun.acl" ] || getfacl -p /dev/net/tun >"$WORK/tun.acl" 2>/dev/null  # the host before the first start
    for account in scalebox-vm scalebox-net; do
        if ! getent passwd "$account" >/dev/null; then
            useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$account"
            echo "$account" >>"$WORK/made-accounts"
        fi
    done
    # Traversable, not listable: the forwarder (scalebox-net) reaches its launcher and its run
    # directory; what is secret here (the configuration) is 0600.
    chmod 0711 "$WORK"
    mkdir -p "$DATA"
    chgrp scalebox-vm "$DATA" && chmod 0750 "$DATA"
}

restore_host() {
    [ ! -s "$WORK/tun.acl" ] || setfacl --restore="$WORK/tun.acl"
    [ ! -s "$WORK/made-accounts" ] || while read -r account; do
        # userdel refuses while a process of the account lives: the ones just killed may still be exiting.
        for _ in $(seq 1 50); do pgrep -u "$account" >/dev/null || break; sleep 0.1; done
        userdel "$account" 2>/dev/null || echo "WARNING: the account $account could not be deleted: $(pgrep -u "$account" -a | head -n 3)"
        ! getent group "$account" >/dev/null || groupdel "$account"
    done <"$WORK/made-accounts"
}

# The packaged runtime and jars, linked where the forwarder's account can read them (the build
# tree may be below a home directory), with a scaleboxd launcher as the package has one.
dist() {
    local dist=$WORK/dist
    mkdir -p "$dist"
    cp -al "$TARGET/runtime" "$TARGET/lib" "$TARGET/scalebox.jar" "$TARGET/launchers/scaleboxd.jvm" "$dist/" 2>/dev/null \
        || cp -a "$TARGET/runtime" "$TARGET/lib" "$TARGET/scalebox.jar" "$TARGET/launchers/scaleboxd.jvm" "$dist/"
    printf '#!/bin/sh\nexec "%s/runtime/bin/java" @"%s/scaleboxd.jvm" -cp "%s/scalebox.jar:%s/lib/*" io.scalebox.daemon.Main "$@"\n' \
        "$dist" "$dist" "$dist" "$dist" >"$dist/scaleboxd"
    chmod 0755 "$dist/scaleboxd"
}

# guest_config DATA_DIR HOST_IP: the configuration lines every test daemon has (the test guest
# under TCG, small VMs, its ports); suites add their own after them.
guest_config() {
    cat <<CONF
API_PORT=8080
API_TOKEN=$TOKEN
DATA_DIR=$1
KERNEL_PATH=${ENGINE_KERNEL:-$GUEST/vmlinux}
INITRD_PATH=${ENGINE_INITRD:-$GUEST/initrd.img}
HOST_IP=$2
HYPERVISOR=qemu
QEMU_ACCEL=tcg
PORT_MIN=22001
PORT_MAX=22020
DEFAULT_VCPU_COUNT=1
DEFAULT_MEM_SIZE_MIB=256
CONF
}

engine_start() {
    [ -z "${1:-}" ] || DATA=$1
    "$(dirname "${BASH_SOURCE[0]}")/build-guest.sh" || return 1
    ensure_account
    ip netns add "$HOST_NS"
    ip netns add "$CLIENT_NS"
    ip link add sbe2e-h$$ netns "$HOST_NS" type veth peer name sbe2e-c$$ netns "$CLIENT_NS"
    ip -n "$HOST_NS" link set lo up
    ip -n "$CLIENT_NS" link set lo up
    ip -n "$HOST_NS" addr add 192.0.2.1/24 dev sbe2e-h$$
    ip -n "$CLIENT_NS" addr add 192.0.2.2/24 dev sbe2e-c$$
    ip -n "$HOST_NS" link set sbe2e-h$$ up
    ip -n "$CLIENT_NS" link set sbe2e-c$$ up
    ip -n "$HOST_NS" route add default via 192.0.2.2

    [ -x "$WORK/dist/scaleboxd" ] || dist
    mkdir -p "$DATA/templates"
    cp --sparse=always "${ENGINE_BASE:-$GUEST/rootfs.ext4}" "$DATA/templates/debian-base.ext4"
    (umask 077 && touch "$WORK/config")
    guest_config "$DATA" 192.0.2.1 >"$WORK/config"
    cat >>"$WORK/config" <<CONF
BASE_DOMAIN=vms.test
MAX_DISK_SIZE_GIB=65536
PROTECTED_TEMPLATES=debian-base,golden
VM_STOP_TIMEOUT=20
${ENGINE_CONFIG:-}
CONF
    daemon_start || return 1
    rm -f "$WORK/key" "$WORK/key.pub"
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/key"
    KEY=$(cat "$WORK/key.pub")
}

# daemon_command RUN_DIR: the daemon from the build tree, as the package runs it, its runtime state
# (the forwarder's sockets) in RUN_DIR: one per daemon, as each host has its own /run/scalebox.
daemon_command() {
    echo "$TARGET/runtime/bin/java @$TARGET/launchers/scaleboxd.jvm -Dscalebox.daemon=$WORK/dist/scaleboxd" \
        "-Dscalebox.run=$1 -cp $CP io.scalebox.daemon.Main"
}

# (Re)starts the daemon on the same data and configuration; its log is appended.
daemon_start() {
    # `ip netns exec` execs in place: $! is the daemon itself (a function would add a subshell).
    # shellcheck disable=SC2086
    ip netns exec "$HOST_NS" env ${DAEMON_ENV:-} $(daemon_command "$WORK/run") --config "$WORK/config" \
        >>"$WORK/daemon.log" 2>&1 &
    DAEMON_PID=$!
    wait_for 30 client curl -sf "$API/health" || { echo "daemon did not start"; tail -20 "$WORK/daemon.log"; return 1; }
}

# Stops the daemon with SIGTERM and waits for it; VMs keep running.
daemon_stop() {
    kill "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
}

api() { # api METHOD PATH [JSON] -> body on stdout, status in $WORK/status
    client curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$API$2" >"$WORK/status"
    cat "$WORK/body"
}
status() { cat "$WORK/status"; }
field() { jq -r "$1" "$WORK/body"; }
vmssh() { # vmssh PORT CMD...
    port=$1; shift
    client ssh -q -i "$WORK/key" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=10 -o BatchMode=yes user@192.0.2.1 "$@"
}
ssh_ready() { vmssh "$1" true; }
