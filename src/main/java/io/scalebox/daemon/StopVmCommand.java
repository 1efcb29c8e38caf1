package io.scalebox.daemon;

import io.scalebox.hypervisor.GuestShutdown;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.hypervisor.VmProcess;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code scaleboxd --stop-vm --hypervisor KIND --timeout SECONDS VM_DIR}: the ExecStop of a VM
 * unit, so that a stop systemd decides (host shutdown, package removal, {@code systemctl stop})
 * asks the guest to power off and waits instead of cutting its power. systemd passes the
 * hypervisor's PID as MAINPID, unset when it has exited already; what is still running when
 * this returns, systemd ends. Prints one line with a journald priority prefix (the unit runs
 * it under systemd-cat).
 */
final class StopVmCommand {
    static final String USAGE = "scaleboxd --stop-vm --hypervisor qemu|firecracker --timeout SECONDS VM_DIR";

    private StopVmCommand() {
    }

    static int run(List<String> args, Map<String, String> env, GuestShutdown shutdown, PrintStream out,
                   PrintStream err) {
        Optional<HypervisorKind> kind = Optional.empty();
        Optional<Duration> timeout = Optional.empty();
        Optional<Path> dir = Optional.empty();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            boolean hasValue = i + 1 < args.size();
            if (a.equals("--hypervisor") && hasValue) {
                kind = HypervisorKind.byKey(args.get(++i));
                if (kind.isEmpty()) {
                    return usage(err, "unknown hypervisor " + args.get(i));
                }
            } else if (a.equals("--timeout") && hasValue) {
                String v = args.get(++i);
                if (!v.matches("[0-9]{1,4}") || Integer.parseInt(v) < 1) {
                    return usage(err, "--timeout takes whole seconds from 1 to 9999, not " + v);
                }
                timeout = Optional.of(Duration.ofSeconds(Integer.parseInt(v)));
            } else if (a.startsWith("/") && dir.isEmpty()) {
                dir = Optional.of(Path.of(a));
            } else {
                return usage(err, "unexpected argument " + a);
            }
        }
        if (kind.isEmpty() || timeout.isEmpty() || dir.isEmpty()) {
            return usage(err, "--hypervisor, --timeout and the VM directory are required");
        }
        String vmId = String.valueOf(dir.get().getFileName());
        String mainPid = env.getOrDefault("MAINPID", "");
        if (!mainPid.matches("[1-9][0-9]{0,9}")) {
            return 0; // the hypervisor has exited already: nothing to ask
        }
        Optional<VmProcess> running = VmProcess.ofPid(Long.parseLong(mainPid));
        if (running.isEmpty()) {
            return 0;
        }
        VmProcess process = running.get();
        HypervisorKind k = kind.get();
        Path vmDir = dir.get();
        GuestShutdown.Outcome outcome = shutdown.attempt(() -> k.requestPowerOff(vmDir), process::alive,
                timeout.get());
        // <6> info, <4> warning: systemd-cat turns the prefix into the journal priority.
        out.println((outcome.clean() ? "<6>" : "<4>") + outcome.describe(vmId));
        out.flush();
        return 0;
    }

    private static int usage(PrintStream err, String problem) {
        err.println("scaleboxd: " + problem);
        err.println("Usage: " + USAGE);
        return Main.EXIT_USAGE;
    }
}
