package io.scalebox.hypervisor;

import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts hypervisor processes so that they outlive the daemon: as a transient systemd unit
 * {@code scalebox-vm-<id>} in {@code scalebox.slice} when systemd is PID 1, otherwise as a
 * detached process in a session of its own.
 */
public final class ProcessLauncher {
    public static final String UNIT_PREFIX = "scalebox-vm-";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final boolean systemd;

    public ProcessLauncher(boolean systemd) {
        this.systemd = systemd;
    }

    /** systemd is PID 1 (sd_booted's test) and systemd-run is there. */
    public static ProcessLauncher detect() {
        boolean booted = Files.isDirectory(Path.of("/run/systemd/system"));
        return new ProcessLauncher(booted && Files.isExecutable(Path.of("/usr/bin/systemd-run")));
    }

    public boolean usesSystemd() {
        return systemd;
    }

    /** Starts argv for VM {@code id}; stdout and stderr go to {@code log}. */
    public VmProcess start(String id, List<String> argv, Path log, int vcpus, int memMib)
            throws HypervisorException {
        String cmdline = VmProcess.cmdlineOf(argv);
        try {
            if (systemd) {
                String unit = UNIT_PREFIX + id + ".service";
                List<String> run = new ArrayList<>(List.of("systemd-run", "--quiet", "--collect",
                        "--unit=" + unit, "--slice=scalebox.slice",
                        "--property=MemoryMax=" + (memMib + 256) + "M",
                        "--property=CPUQuota=" + (vcpus * 100) + "%",
                        "--property=StandardOutput=append:" + log,
                        "--property=StandardError=append:" + log,
                        "--"));
                run.addAll(argv);
                Command.run(run, TIMEOUT);
                String pid = Command.run(List.of("systemctl", "show", "-p", "MainPID", "--value", unit), TIMEOUT)
                        .strip();
                if (pid.isEmpty() || pid.equals("0")) {
                    throw new HypervisorException(argv.get(0) + " exited at once; see " + log);
                }
                return new VmProcess(Long.parseLong(pid), Optional.of(unit), cmdline);
            }
            List<String> detached = new ArrayList<>(List.of("setsid"));
            detached.addAll(argv);
            Process p = new ProcessBuilder(detached)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            // setsid's own command line already ends with argv's arguments, so liveness
            // (VmProcess.alive) holds before and after it execs the hypervisor.
            return new VmProcess(p.pid(), Optional.empty(), cmdline);
        } catch (CommandException | IOException | NumberFormatException e) {
            throw new HypervisorException("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
    }

    /** The loaded units named scalebox-vm-*.service (for reconciliation). */
    public List<String> units() throws CommandException {
        List<String> out = new ArrayList<>();
        String listing = Command.run(List.of("systemctl", "list-units", "--all", "--plain", "--no-legend",
                UNIT_PREFIX + "*.service"), TIMEOUT);
        for (String line : listing.split("\n")) {
            String unit = line.strip().split("\\s+")[0];
            if (unit.startsWith(UNIT_PREFIX)) {
                out.add(unit);
            }
        }
        return out;
    }

    public void stopUnit(String unit) {
        try {
            Command.run(List.of("systemctl", "stop", unit), TIMEOUT);
        } catch (CommandException e) {
            // already gone
        }
    }

    /** Ends the process (its unit, if any) and waits for it; a recycled PID is never signalled. */
    public void stop(VmProcess process) {
        process.unit().ifPresent(this::stopUnit);
        if (!process.alive()) {
            return;
        }
        ProcessHandle.of(process.pid()).ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                if (process.alive()) {
                    h.destroyForcibly();
                }
            }
        });
        for (int i = 0; i < 50 && process.alive(); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The last non-blank line a launched process wrote to its log: its reason for failing. */
    static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i).strip();
                }
            }
        } catch (IOException e) {
            // no log
        }
        return "(no output)";
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
