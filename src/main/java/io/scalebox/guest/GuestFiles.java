package io.scalebox.guest;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.GuestAgent;
import io.scalebox.vm.ErrorCode;
import io.scalebox.vm.VmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Files in a guest through its agent: written to a temporary name and renamed (a reader never
 * sees half a file; the temporary file is made 0600 first, as qemu-ga would make it 0666),
 * read and written in 1 MiB chunks as they stream, listed and removed by fixed scripts whose
 * paths travel in their environment. A guest answer's size, type or name is only reported back,
 * never used on the host.
 */
public final class GuestFiles {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Entries a listing returns at most, and the bytes it may take. */
    static final int MAX_ENTRIES = 10_000;
    private static final int MAX_LISTING = 8 * 1024 * 1024;
    private static final String STAT = """
            set -u
            [ -e "$P" ] || { echo "no such file: $P"; exit 2; }
            find -L "$P" -maxdepth 0 -printf '%y %s %m %T@\\n'
            """;
    private static final String PREPARE = """
            set -u
            dir=$(dirname -- "$P")
            if [ "$MKDIR" = 1 ]; then mkdir -p -- "$dir" || exit 5; fi
            [ -d "$dir" ] || { echo "no such directory: $dir"; exit 2; }
            [ -d "$P" ] && { echo "is a directory: $P"; exit 4; }
            umask 077
            : >"$TMP" || exit 5
            """;
    private static final String FINISH = """
            set -u
            if chmod "$MODE" -- "$TMP" && chown -- "$OWNER" "$TMP" && mv -f -- "$TMP" "$P"; then exit 0; fi
            rm -f -- "$TMP"
            exit 5
            """;
    private static final String ABORT = "rm -f -- \"$TMP\"\n";
    private static final String DELETE = """
            set -u
            [ -e "$P" ] || [ -L "$P" ] || { echo "no such file: $P"; exit 2; }
            if [ -d "$P" ] && [ ! -L "$P" ]; then
                [ "$RECURSIVE" = 1 ] || { echo "is a directory (recursive=true removes it): $P"; exit 4; }
                rm -rf -- "$P" || exit 5
            else
                rm -f -- "$P" || exit 5
            fi
            """;
    private static final String LIST = """
            set -u
            [ -e "$P" ] || { echo "no such directory: $P"; exit 2; }
            [ -d "$P" ] || { echo "not a directory: $P"; exit 3; }
            umask 077
            mkdir -p /run/scalebox-exec
            find "$P" -mindepth 1 -maxdepth 1 -printf '%f\\0%y\\0%s\\0%m\\0%T@\\0%u\\0%g\\0' >"$OUT" || exit 5
            """;
    private static final String REMOVE = "rm -f -- \"$OUT\"\n";

    private final io.scalebox.agent.Agents agents;
    private final io.scalebox.metrics.Metrics metrics;

    public GuestFiles(io.scalebox.agent.Agents agents, io.scalebox.metrics.Metrics metrics) {
        this.agents = agents;
        this.metrics = metrics;
    }

    /** One operation on a VM's files: its agent once it answers, the failure as the API's error, counted. */
    private <T> T on(String vmId, String operation, AgentCall<T> call) throws VmException, IOException {
        boolean ok = false;
        try {
            T result = call.run(new GuestAgent(agents.ready(vmId, Execs.AGENT_PATIENCE)));
            ok = true;
            return result;
        } catch (AgentException e) {
            throw AgentErrors.of(e, metrics);
        } finally {
            metrics.fileOperation(operation, ok);
        }
    }

    @FunctionalInterface
    private interface AgentCall<T> {
        T run(GuestAgent agent) throws AgentException, VmException, IOException;
    }

    public Stat stat(String vmId, String path) throws VmException {
        return quiet(vmId, "stat", agent -> stat(agent, path));
    }

    public long put(String vmId, String path, InputStream body, long max, String mode, String owner, boolean mkdir)
            throws VmException, IOException {
        long n = on(vmId, "put", agent -> put(agent, path, body, max, mode, owner, mkdir));
        metrics.guestBytes("file", "to_guest", n);
        return n;
    }

    public long get(String vmId, String path, long size, OutputStream out) throws VmException, IOException {
        long n = on(vmId, "get", agent -> get(agent, path, size, out));
        metrics.guestBytes("file", "from_guest", n);
        return n;
    }

    public void delete(String vmId, String path, boolean recursive) throws VmException {
        quiet(vmId, "delete", agent -> {
            delete(agent, path, recursive);
            return null;
        });
    }

    public Listing list(String vmId, String path) throws VmException {
        return quiet(vmId, "list", agent -> list(agent, path));
    }

    /** An operation without a stream of the caller's: no I/O of its own can fail. */
    private <T> T quiet(String vmId, String operation, AgentCall<T> call) throws VmException {
        try {
            return on(vmId, operation, call);
        } catch (IOException e) {
            throw new VmException(ErrorCode.FILE_FAILED, e.getMessage(), e);
        }
    }

    private static String token() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** What a path is: type (find's %y letter: f, d, l, …), size, permission bits, modified (epoch seconds). */
    public record Stat(String type, long size, int mode, double mtime) {
    }

    /** An entry of a directory listing (its name as the guest gives it, shown, never used on the host). */
    public record Entry(String name, String type, long size, int mode, double mtime, String owner, String group) {
    }

    static Stat stat(GuestAgent agent, String path) throws AgentException, VmException {
        GuestScript.Result r = check(GuestScript.run(agent, STAT, Map.of("P", path), GuestAgent.CALL));
        String[] f = r.out().split(" ");
        try {
            return new Stat(f[0], Long.parseLong(f[1]), Integer.parseInt(f[2], 8), Double.parseDouble(f[3]));
        } catch (RuntimeException e) {
            throw new AgentException(AgentException.Kind.PROTOCOL, "the guest's stat is not one");
        }
    }

    /**
     * Writes {@code body} (at most {@code max} bytes: more is 413, and nothing is left) to
     * {@code path}: a 0600 temporary file beside it, then mode, owner, rename. Returns its size.
     */
    static long put(GuestAgent agent, String path, InputStream body, long max, String mode, String owner,
                    boolean mkdir) throws AgentException, VmException, IOException {
        String tmp = path + ".sb-tmp-" + token();
        check(GuestScript.run(agent, PREPARE, Map.of("P", path, "TMP", tmp, "MKDIR", mkdir ? "1" : "0"),
                GuestAgent.CALL));
        long written = 0;
        boolean done = false;
        try {
            long handle = agent.fileOpen(tmp, "w");
            try {
                byte[] chunk = new byte[GuestAgent.CHUNK];
                for (int n; (n = body.readNBytes(chunk, 0, chunk.length)) > 0; ) {
                    written += n;
                    if (written > max) {
                        throw new VmException(ErrorCode.FILE_TOO_LARGE, "the file is over " + max + " bytes");
                    }
                    agent.fileWrite(handle, n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n));
                }
            } finally {
                agent.fileClose(handle);
            }
            check(GuestScript.run(agent, FINISH, Map.of("P", path, "TMP", tmp, "MODE", mode, "OWNER", owner),
                    GuestAgent.CALL));
            done = true;
            return written;
        } catch (AgentException e) {
            if (e.kind() == AgentException.Kind.FAILED && e.getMessage().contains("No space left")) {
                throw new VmException(ErrorCode.GUEST_DISK_FULL, "the guest's file system is full");
            }
            throw e;
        } finally {
            if (!done) {
                try {
                    GuestScript.run(agent, ABORT, Map.of("TMP", tmp), GuestAgent.CALL);
                } catch (AgentException e) {
                    // the agent is gone: so is any use of the temporary file
                }
            }
        }
    }

    /** Streams the file to {@code out}: {@code size} bytes (fewer if it shrank: the caller aborts). */
    static long get(GuestAgent agent, String path, long size, OutputStream out) throws AgentException, IOException {
        long handle = agent.fileOpen(path, "r");
        long sent = 0;
        try {
            while (sent < size) {
                GuestAgent.Chunk c = agent.fileRead(handle, (int) Math.min(GuestAgent.CHUNK, size - sent));
                out.write(c.bytes());
                sent += c.bytes().length;
                if (c.eof() || c.bytes().length == 0) {
                    break;
                }
            }
        } finally {
            agent.fileClose(handle);
        }
        return sent;
    }

    static void delete(GuestAgent agent, String path, boolean recursive) throws AgentException, VmException {
        check(GuestScript.run(agent, DELETE, Map.of("P", path, "RECURSIVE", recursive ? "1" : "0"), GuestAgent.CALL));
    }

    /** The entries of a directory (at most {@link #MAX_ENTRIES}), and whether there were more. */
    public record Listing(List<Entry> entries, boolean truncated) {
    }

    static Listing list(GuestAgent agent, String path) throws AgentException, VmException {
        String out = GuestExec.DIR + "/list-" + token();
        try {
            check(GuestScript.run(agent, LIST, Map.of("P", path, "OUT", out), GuestAgent.CALL));
            ExecOutput o = GuestExec.readFile(agent, out, 0, MAX_LISTING);
            String[] f = new String(o.bytes(), java.nio.charset.StandardCharsets.UTF_8).split("\0", -1);
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i + 7 <= f.length && entries.size() < MAX_ENTRIES; i += 7) {
                try {
                    entries.add(new Entry(f[i], f[i + 1], Long.parseLong(f[i + 2]), Integer.parseInt(f[i + 3], 8),
                            Double.parseDouble(f[i + 4]), f[i + 5], f[i + 6]));
                } catch (RuntimeException e) {
                    throw new AgentException(AgentException.Kind.PROTOCOL, "the guest's listing is not one");
                }
            }
            return new Listing(entries, o.more() || f.length / 7 > MAX_ENTRIES);
        } finally {
            try {
                GuestScript.run(agent, REMOVE, Map.of("OUT", out), GuestAgent.CALL);
            } catch (AgentException e) {
                // gone with the agent
            }
        }
    }

    /** A script's failure as the API's error: its exit status says which, its output why. */
    private static GuestScript.Result check(GuestScript.Result r) throws VmException {
        if (r.ok()) {
            return r;
        }
        String why = AgentException.quote((r.out() + " " + r.err()).strip());
        ErrorCode code = switch (r.exitCode()) {
            case 2 -> ErrorCode.FILE_NOT_FOUND;
            case 3 -> ErrorCode.NOT_A_DIRECTORY;
            case 4 -> ErrorCode.IS_A_DIRECTORY;
            default -> why.contains("No space left") ? ErrorCode.GUEST_DISK_FULL : ErrorCode.FILE_FAILED;
        };
        throw new VmException(code, why.isEmpty() ? "the guest refused the file operation" : why);
    }
}
