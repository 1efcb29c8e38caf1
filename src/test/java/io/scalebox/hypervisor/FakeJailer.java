package io.scalebox.hypervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stand-in for Firecracker's jailer that holds its caller to the documented usage
 * (docs/jailer.md): {@code --id} (alphanumerics and hyphens, at most 64), {@code --exec-file}
 * (an existing file whose name contains "firecracker"), numeric {@code --uid} and
 * {@code --gid}, optional {@code --chroot-base-dir}, and Firecracker's own arguments after
 * {@code --}. It makes {@code <base>/<exec name>/<id>/root} as the jailer does, then serves as
 * the jailed Firecracker there ({@link FakeFirecracker#jailed}), which checks that every file
 * named through the API is inside that root. It does not chroot: the test runs unprivileged.
 */
public final class FakeJailer {
    private static final List<String> VALUED = List.of("--id", "--exec-file", "--uid", "--gid", "--chroot-base-dir",
            "--parent-cgroup", "--cgroup-version", "--cgroup", "--netns", "--resource-limit");

    public static void main(String[] args) throws IOException {
        Map<String, String> options = new TreeMap<>();
        List<String> forwarded = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                forwarded.addAll(List.of(args).subList(i + 1, args.length));
                break;
            } else if (VALUED.contains(a) && i + 1 < args.length) {
                options.put(a, args[++i]);
            } else if (!a.equals("--daemonize") && !a.equals("--new-pid-ns")) {
                fail("unknown argument " + a);
            }
        }
        for (String required : List.of("--id", "--exec-file", "--uid", "--gid")) {
            if (!options.containsKey(required)) {
                fail("missing " + required);
            }
        }
        String id = options.get("--id");
        if (!id.matches("[A-Za-z0-9-]{1,64}")) {
            fail("invalid --id " + id);
        }
        Path exec = Path.of(options.get("--exec-file"));
        if (!exec.getFileName().toString().contains("firecracker") || !Files.isRegularFile(exec)) {
            fail("--exec-file must be a file whose name contains firecracker: " + exec);
        }
        if (!options.get("--uid").matches("[0-9]+") || !options.get("--gid").matches("[0-9]+")) {
            fail("--uid and --gid must be numeric");
        }
        int sock = forwarded.indexOf("--api-sock");
        if (sock < 0 || sock + 1 >= forwarded.size() || !forwarded.get(sock + 1).startsWith("/")) {
            fail("Firecracker needs --api-sock with a path inside the jail after --");
        }
        Path root = Path.of(options.getOrDefault("--chroot-base-dir", "/srv/jailer"))
                .resolve(exec.getFileName().toString()).resolve(id).resolve("root");
        Files.createDirectories(root);
        FakeFirecracker.jailed(root, forwarded.get(sock + 1));
    }

    private static void fail(String why) {
        System.err.println("jailer: " + why);
        System.exit(1);
    }
}
