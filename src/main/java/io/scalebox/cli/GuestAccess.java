package io.scalebox.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code connect}, {@code run} and {@code vm wait}: reaching the guest through its SSH port. */
final class GuestAccess {
    private static final int DEFAULT_WAIT_SECONDS = 300;
    private final Context ctx;

    GuestAccess(Context ctx) {
        this.ctx = ctx;
    }

    int connect(List<String> argv) throws CliException {
        Args a = Args.parse("connect", argv, Set.of("--ssh"), Set.of(), Map.of());
        JsonObject vm = running(a.expect("connect", "VM").get(0));
        List<String> ssh = sshCommand(vm);
        Optional<Path> mosh = a.has("--ssh") ? Optional.empty() : ExternalProgram.onPath("mosh");
        if (mosh.isPresent()) {
            // mosh-server listens on the VM's ssh_port: the host forwards that UDP port to it.
            List<String> cmd = new ArrayList<>(List.of(mosh.get().toString(), "--ssh=" + shellJoin(
                    ssh.subList(0, ssh.size() - 1)), "-p", Format.str(vm, "ssh_port"), ssh.get(ssh.size() - 1)));
            return ExternalProgram.run(cmd);
        }
        return ExternalProgram.run(ssh);
    }

    int run(List<String> argv) throws CliException {
        Args a = Args.parse("run", argv, Set.of(), Set.of(), Map.of());
        String name = a.expect("run", "VM").get(0);
        if (a.rest().isEmpty()) {
            throw CliException.usage("'run' needs a command after --, e.g. scalebox run " + name + " -- uname -a");
        }
        List<String> cmd = sshCommand(running(name));
        cmd.add("--");
        // ssh hands the remote shell one string: quote so that each argument arrives as given.
        cmd.add(shellJoin(a.rest()));
        return ExternalProgram.run(cmd);
    }

    int waitFor(List<String> argv) throws CliException {
        Args a = Args.parse("vm wait", argv, Set.of("--ssh", "--agent"), Set.of("--timeout"), Map.of());
        String name = a.expect("vm wait", "VM").get(0);
        if (a.has("--ssh") && a.has("--agent")) {
            throw CliException.usage("'vm wait' takes --ssh or --agent, not both");
        }
        int timeout = a.integer("--timeout", 1, 86_400).orElse(DEFAULT_WAIT_SECONDS);
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        String what = a.has("--ssh") ? "SSH is up" : a.has("--agent") ? "its agent answers" : "running";
        JsonObject vm = ctx.api().get(VmCommands.path(name)).json();
        // A VM waited on to run may be starting; one waited on for SSH or its agent must run already.
        if ((a.has("--ssh") || a.has("--agent")) && !"running".equals(Format.str(vm, "status"))) {
            throw stopped(vm);
        }
        while (true) {
            boolean done = a.has("--ssh") ? banner(vm, deadline)
                    : a.has("--agent") ? "ready".equals(Format.str(vm, "agent"))
                    : "running".equals(Format.str(vm, "status"));
            if (done) {
                ctx.out.println(ctx.json ? vm.toString() : Format.str(vm, "name") + ": " + what);
                return 0;
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(Exit.TIMEOUT, "timed out after " + timeout + " s waiting for "
                        + Format.str(vm, "name") + (a.has("--ssh") ? " to answer SSH on " + Format.str(vm, "ip") + ":"
                        + Format.str(vm, "ssh_port") : a.has("--agent") ? "'s agent to answer" : " to run"));
            }
            sleep();
            if (!a.has("--ssh")) {
                vm = ctx.api().get(VmCommands.path(name)).json();
            }
        }
    }

    /** One attempt: the guest's sshd sends "SSH-2.0-…" first; the host's proxy alone sends nothing. */
    private static boolean banner(JsonObject vm, long deadline) {
        int port = Integer.parseInt(Format.str(vm, "ssh_port"));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(Format.str(vm, "ip"), port), 3_000);
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            s.setSoTimeout((int) Math.min(10_000, left));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4];
            int n = 0;
            while (n < buf.length) {
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    return false;
                }
                n += r;
            }
            return new String(buf, StandardCharsets.US_ASCII).equals("SSH-");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private JsonObject running(String name) throws CliException {
        JsonObject vm = ctx.api().get(VmCommands.path(name)).json();
        if (!"running".equals(Format.str(vm, "status"))) {
            throw stopped(vm);
        }
        return vm;
    }

    private static CliException stopped(JsonObject vm) {
        return new CliException(Exit.FAILURE, "VM " + Format.str(vm, "name") + " is " + Format.str(vm, "status")
                + "; start it with: scalebox vm start " + Format.str(vm, "name"));
    }

    /**
     * ssh to user@host:port. Host keys are remembered per VM id in the CLI's own known_hosts,
     * because ports are reused by later VMs; the CLI's key is offered when it exists.
     */
    private List<String> sshCommand(JsonObject vm) throws CliException {
        Settings s = ctx.settings();
        Path ssh = ExternalProgram.onPath("ssh").orElseThrow(() -> new CliException(Exit.FAILURE,
                "ssh is not installed (apt install openssh-client)"));
        try {
            Settings.ensureDir(s.configDir());
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot create " + s.configDir() + ": " + e.getMessage());
        }
        List<String> cmd = new ArrayList<>(List.of(ssh.toString(), "-p", Format.str(vm, "ssh_port"),
                "-o", "HostKeyAlias=scalebox-" + Format.str(vm, "id"),
                "-o", "UserKnownHostsFile=" + s.knownHosts(),
                "-o", "StrictHostKeyChecking=accept-new"));
        if (Files.exists(s.sshKey())) {
            cmd.addAll(List.of("-i", s.sshKey().toString()));
        }
        cmd.add("user@" + Format.str(vm, "ip"));
        return cmd;
    }

    /** POSIX shell quoting: plain words stay as they are, the rest in single quotes. */
    static String shellJoin(List<String> args) {
        StringBuilder b = new StringBuilder();
        for (String arg : args) {
            if (b.length() > 0) {
                b.append(' ');
            }
            if (!arg.isEmpty() && arg.matches("[A-Za-z0-9_@%+=:,./-]+")) {
                b.append(arg);
            } else {
                b.append('\'').append(arg.replace("'", "'\\''")).append('\'');
            }
        }
        return b.toString();
    }

    private static void sleep() throws CliException {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(Exit.FAILURE, "interrupted");
        }
    }
}
