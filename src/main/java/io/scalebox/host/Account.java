package io.scalebox.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The unprivileged system account (made by the package) that hypervisors and the image tools
 * run as, so that a guest escaping its VMM, or a crafted filesystem exploiting e2fsprogs, is
 * not root. It owns what those processes must write (a VM's disk and control sockets) and
 * may traverse, through its group, the root-owned directories that lead there; everything
 * the daemon itself trusts (vm.json, templates) stays root's.
 */
public final class Account {
    /** The package's account for hypervisors and image tools (postinst creates it, purge removes it). */
    public static final String DEFAULT = "scalebox-vm";
    /** The package's account for the forwarder, which holds the VM ports (postinst, purge). */
    public static final String NET = "scalebox-net";
    private final String name;
    private final UserPrincipal user;
    private final GroupPrincipal group;

    private Account(String name, UserPrincipal user, GroupPrincipal group) {
        this.name = name;
        this.user = user;
        this.group = group;
    }

    /** Finds {@code name} and its group of the same name; a clear error when the package did not make them. */
    public static Account lookup(String name) throws IOException {
        UserPrincipalLookupService lookup = Path.of("/").getFileSystem().getUserPrincipalLookupService();
        try {
            return new Account(name, lookup.lookupPrincipalByName(name), lookup.lookupPrincipalByGroupName(name));
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("the system account " + name + " (user and group) does not exist; VMs never run"
                    + " as root: reinstall the package, or run: adduser --system --group --no-create-home " + name);
        }
    }

    public String name() {
        return name;
    }

    /** Makes {@code file} the account's alone (owner and group, mode 0600 or 0700 for a directory). */
    public void own(Path file) throws IOException {
        PosixFileAttributeView view = view(file);
        view.setOwner(user);
        view.setGroup(group);
        view.setPermissions(PosixFilePermissions.fromString(Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)
                ? "rwx------" : "rw-------"));
    }

    /** Gives a root-owned directory to root and the account's group, 0750: traversable and listable, not writable. */
    public void shareDirectory(Path dir) throws IOException {
        PosixFileAttributeView view = view(dir);
        view.setOwner(rootOf(dir));
        view.setGroup(group);
        view.setPermissions(PosixFilePermissions.fromString("rwxr-x---"));
    }

    /**
     * Lets the account read a root-owned file or directory (a guest kernel): group the
     * account's, group read (and search for a directory) added; the owner's bits unchanged.
     */
    public void shareReadable(Path file) throws IOException {
        PosixFileAttributeView view = view(file);
        Set<PosixFilePermission> p = new java.util.HashSet<>(view.readAttributes().permissions());
        p.add(PosixFilePermission.GROUP_READ);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            p.add(PosixFilePermission.GROUP_EXECUTE);
        }
        view.setGroup(group);
        view.setPermissions(p);
    }

    /** Returns a file the account owned to root (e.g. an edited snapshot becoming a template), 0600. */
    public void disown(Path file) throws IOException {
        PosixFileAttributeView view = view(file);
        view.setOwner(rootOf(file));
        view.setGroup(rootGroup(file));
        view.setPermissions(PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * Whether the account may read and write {@code device} by its mode: for everyone, for the
     * account's group, or as owner. (Groups it gains through membership, such as kvm, are not
     * looked at.) False when the device is missing.
     */
    public boolean mayOpen(Path device) {
        try {
            PosixFileAttributes a = Files.readAttributes(device, PosixFileAttributes.class);
            Set<PosixFilePermission> p = a.permissions();
            return p.containsAll(Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE))
                    || a.group().equals(group)
                    && p.containsAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE))
                    || a.owner().equals(user);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Lets the account read and write {@code device} through a POSIX ACL entry of its own (as
     * logind gives a seat's devices to its user): for a device whose mode keeps it out, such as
     * /dev/net/tun on a host without udev (0600 root). Nobody else gains anything. /dev is made
     * anew at every boot, so the daemon applies it at every start; purge takes it away again.
     */
    public void grantDevice(Path device) throws CommandException {
        Command.run(List.of("setfacl", "-m", "u:" + name + ":rw", device.toString()), Duration.ofSeconds(10));
    }

    /** A file's mode as ls shows it (rw-rw-rw-), or "unknown". */
    public static String modeOf(Path file) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static PosixFileAttributeView view(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (view == null || Files.isSymbolicLink(file)) {
            throw new IOException("cannot set the owner of " + file);
        }
        return view;
    }

    private static UserPrincipal rootOf(Path file) throws IOException {
        return file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
    }

    private static GroupPrincipal rootGroup(Path file) throws IOException {
        return file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("root");
    }
}
