package io.scalebox.guest;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.GuestAgent;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What makes a clone of a warm template its own machine, given to it through its agent while
 * its link is down: the kernel's random generator reseeded with the host's randomness (a clone
 * starts with its template's pool), the clock, MAC, address, route and name servers' file
 * (systemd-networkd's, where it runs), hostname, machine-id, an SSH host key made on the host
 * ({@link HostKey}), and the caller's key. Everything travels in the script's environment (qemu-ga logs command lines,
 * not environments).
 */
public record CloneIdentity(String mac, String address, int prefix, String gateway, String hostname,
                            HostKey hostKey, String authorizedKey) {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final org.apache.logging.log4j.Logger LOG =
            org.apache.logging.log4j.LogManager.getLogger(CloneIdentity.class);

    /**
     * The script. perl-base is essential in Debian: it does the two ioctls (RNDADDENTROPY with
     * the host's bytes, then RNDRESEEDCRNG) and the clock's step (clock_gettime and
     * clock_settime by their x86-64 numbers, 228 and 227) that a shell cannot. Everything else is the shell's
     * own or one batch of ip: each process started costs a lot under emulation, and a create
     * waits for this script.
     */
    private static final String SCRIPT = """
            set -eu
            umask 022
            perl -e 'use integer; open(my $f, "+<", "/dev/random") or exit 3;
                my $d = pack("H*", $ENV{SB_ENTROPY}); my $s = pack("ii", length($d) * 8, length($d)) . $d;
                ioctl($f, 0x40085203, $s) or exit 4; ioctl($f, 0x5207, 0) or exit 5;
                my $t = pack("qq", 0, 0); syscall(228, 0, $t) == 0 or exit 6;
                my ($sec, $ns) = unpack("qq", $t);
                my $now = $sec * 1000000000 + $ns + $ENV{SB_CLOCK_STEP_NS};
                syscall(227, 0, pack("qq", $now / 1000000000, $now % 1000000000)) == 0 or exit 7;' || exit 10
            ip -force -batch - <<EOF || exit 11
            link set dev eth0 down
            link set dev eth0 address $SB_MAC
            address flush dev eth0
            address add $SB_IP/$SB_PREFIX dev eth0
            link set dev eth0 up
            route replace default via $SB_GW dev eth0
            neigh flush dev eth0
            EOF
            networkd=
            dns=
            if [ -d /run/systemd/network ] && command -v networkctl >/dev/null; then
                networkd=1
                for f in /run/systemd/network/*.network; do
                    [ -f "$f" ] || continue
                    while IFS= read -r line; do
                        case $line in DNS=*) dns="$dns$line
            " ;; esac
                    done <"$f"
                done
            fi
            rm -f /etc/ssh/ssh_host_* ${networkd:+/run/systemd/network/*.network}
            if [ -n "$networkd" ]; then
                printf '[Match]\nName=eth0\n\n[Network]\nAddress=%s/%s\nGateway=%s\n%s' \
                    "$SB_IP" "$SB_PREFIX" "$SB_GW" "$dns" >/run/systemd/network/10-scalebox-eth0.network
                networkctl reload >/dev/null 2>&1 &
            fi
            printf '%s' "$SB_HOSTNAME" >/proc/sys/kernel/hostname
            printf '%s\n' "$SB_HOSTNAME" >/etc/hostname
            printf '%s\n' "$SB_MACHINE_ID" >/etc/machine-id
            printf '%s\n' "$SB_HOST_KEY_PUB" >/etc/ssh/ssh_host_ed25519_key.pub
            umask 077
            printf '%s' "$SB_HOST_KEY" >/etc/ssh/ssh_host_ed25519_key
            home=
            while IFS=: read -r name _ _ _ _ dir _; do
                [ "$name" = user ] && home=$dir && break
            done </etc/passwd
            [ -n "$home" ] || exit 12
            [ -d "$home/.ssh" ] || mkdir "$home/.ssh"
            printf '%s\n' "$SB_AUTHORIZED_KEY" >"$home/.ssh/authorized_keys"
            chown user:user "$home/.ssh" "$home/.ssh/authorized_keys"
            # sshd reads its keys again (SIGHUP: it execs itself); each connection's process does anyway.
            if [ -r /run/sshd.pid ] && read -r pid </run/sshd.pid; then kill -HUP "$pid" 2>/dev/null || true; fi
            """;

    /** Sets the guest's clock and gives it this identity; throws with the guest's words when it fails. */
    public void apply(GuestAgent agent, Duration timeout) throws AgentException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SB_ENTROPY", HexFormat.of().formatHex(bytes(64)));
        env.put("SB_MAC", mac);
        env.put("SB_IP", address);
        env.put("SB_PREFIX", String.valueOf(prefix));
        env.put("SB_GW", gateway);
        env.put("SB_HOSTNAME", hostname);
        env.put("SB_MACHINE_ID", HexFormat.of().formatHex(bytes(16)));
        env.put("SB_HOST_KEY", hostKey.privateKey());
        env.put("SB_HOST_KEY_PUB", hostKey.publicKey());
        env.put("SB_AUTHORIZED_KEY", authorizedKey);
        long t0 = System.nanoTime();
        env.put("SB_CLOCK_STEP_NS", String.valueOf(clockStep(agent)));
        GuestScript.Result r = GuestScript.run(agent, SCRIPT, env, timeout);
        LOG.debug("{}: identity given in {} ms", hostname, (System.nanoTime() - t0) / 1_000_000);
        if (!r.ok()) {
            throw new AgentException(AgentException.Kind.FAILED, "the clone's identity could not be set (exit "
                    + r.exitCode() + "): " + AgentException.quote(r.err()));
        }
    }

    /**
     * How far the guest's clock is behind the host's (it stood still since the template was
     * saved), read with one agent call: the script steps the clock by it relative to the
     * guest's running clock, so the script's own start-up time does not count. (qemu-ga's
     * guest-set-time would also run hwclock, which waits up to a second for the RTC.)
     */
    private static long clockStep(GuestAgent agent) throws AgentException {
        long before = epochNanos();
        long guest = agent.getTime();
        long after = epochNanos();
        return before + (after - before) / 2 - guest;
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
