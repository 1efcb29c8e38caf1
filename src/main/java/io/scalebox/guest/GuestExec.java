package io.scalebox.guest;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.GuestAgent;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A command in a guest, through qemu-guest-agent 7.2, which can only start a program and tell
 * its end: a fixed wrapper script sets up what it cannot (working directory, user, a process
 * group of its own, output to files) and execs the command, so that the process the agent
 * watches is the command itself (its exit status or signal as they are). Everything of the
 * request travels in the wrapper's environment, which the agent does not log. ExecOutput goes to
 * {@code /run/scalebox-exec/<exec id>/}, read back in bounded chunks: no pipe held by a
 * background child can block it, and a restarted daemon finds it there.
 */
final class GuestExec {
    static final String DIR = "/run/scalebox-exec";
    /** Exit status of the wrapper when it could not start the command (the reason in {@code setup}). */
    static final int SETUP_FAILED = 125;
    /**
     * The wrapper. Nothing it does spawns a process (each costs tens of milliseconds under
     * emulation): the user's entry is read from /etc/passwd, the environment made with unset and
     * export; then exec after exec (setsid, setpriv for a user other than root) down to the
     * command. Output goes to {@code <exec id>.stdout} and {@code .stderr}; standard input is the
     * agent's pipe (input-data) or /dev/null.
     */
    private static final String WRAPPER = """
            set -u
            umask 077
            f="/run/scalebox-exec/$SB_ID"
            [ -d /run/scalebox-exec ] || mkdir -m 0700 /run/scalebox-exec || exit 125
            fail() { printf '%s\\n' "$1" >"$f.setup"; exit 125; }
            set --
            i=$SB_ARGC
            while [ "$i" -gt 0 ]; do i=$((i - 1)); eval "set -- \\"\\$SB_ARG_$i\\" \\"\\$@\\""; unset "SB_ARG_$i"; done
            found=
            while IFS=: read -r name _ uid gid _ home shell; do
                [ "$name" = "$SB_USER" ] && found=1 && break
            done </etc/passwd
            [ -n "$found" ] || fail "no such user: $SB_USER"
            cwd=${SB_CWD:-$home}
            cd "$cwd" 2>/dev/null || fail "cannot change to the directory $cwd"
            export HOME="$home" USER="$SB_USER" LOGNAME="$SB_USER" SHELL="$shell" LANG=C.UTF-8 PWD="$cwd"
            unset LC_ALL
            i=0
            while [ "$i" -lt "$SB_ENVC" ]; do eval "kv=\\$SB_ENV_$i"; unset "SB_ENV_$i"; export "${kv%%=*}=${kv#*=}"; i=$((i + 1)); done
            [ "$uid" = 0 ] || set -- setpriv "--reuid=$uid" "--regid=$gid" --init-groups -- "$@"
            exec >"$f.stdout" 2>"$f.stderr"
            read -r _ _ _ _ group _ </proc/$$/stat
            [ "$group" = "$$" ] || set -- setsid "$@"
            unset SB_ID SB_USER SB_CWD SB_ARGC SB_ENVC f i found name uid gid home shell cwd kv group
            exec "$@"
            """;
    /** The whole process group (the command and what it started), then the command itself. */
    private static final String KILL = """
            kill -s KILL -- "-$SB_PID" 2>/dev/null || kill -s KILL "$SB_PID" 2>/dev/null
            exit 0
            """;
    /** The files of commands whose output has been read (SB_IDS: exec ids, space-separated). */
    private static final String CLEAN = """
            cd /run/scalebox-exec || exit 0
            for id in $SB_IDS; do rm -f -- "$id.stdout" "$id.stderr" "$id.setup"; done
            """;

    private GuestExec() {
    }

    /** Starts the command; returns its guest pid (also its process group). */
    static long start(GuestAgent agent, String execId, ExecSpec spec) throws AgentException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SB_ID", execId);
        env.put("SB_USER", spec.userOrDefault());
        env.put("SB_CWD", spec.cwd().orElse(""));
        env.put("SB_ARGC", String.valueOf(spec.argv().size()));
        for (int i = 0; i < spec.argv().size(); i++) {
            env.put("SB_ARG_" + i, spec.argv().get(i));
        }
        List<Map.Entry<String, String>> vars = new ArrayList<>(spec.env().entrySet());
        env.put("SB_ENVC", String.valueOf(vars.size()));
        for (int i = 0; i < vars.size(); i++) {
            env.put("SB_ENV_" + i, vars.get(i).getKey() + "=" + vars.get(i).getValue());
        }
        List<String> list = new ArrayList<>(List.of(GuestScript.PATH, "LC_ALL=C"));
        env.forEach((k, v) -> list.add(k + "=" + v));
        return agent.exec("/bin/sh", List.of("-c", WRAPPER), list, false, spec.stdin());
    }

    /** How a command ended: its exit status or the signal that ended it. */
    record End(Optional<Integer> exitCode, Optional<Integer> signal) {
    }

    /** Its end if it has ended (the agent forgets it once it said so: keep what this returns). */
    static Optional<End> poll(GuestAgent agent, long pid) throws AgentException {
        GuestAgent.Status s = agent.execStatus(pid);
        return s.exited() ? Optional.of(new End(s.exitCode(), s.signal())) : Optional.empty();
    }

    static void kill(GuestAgent agent, long pid) throws AgentException {
        GuestScript.run(agent, KILL, Map.of("SB_PID", String.valueOf(pid)), GuestAgent.CALL);
    }

    static void clean(GuestAgent agent, java.util.Collection<String> execIds) throws AgentException {
        GuestScript.run(agent, CLEAN, Map.of("SB_IDS", String.join(" ", execIds)), GuestAgent.CALL);
    }

    /** Why the wrapper could not start the command (exit status {@link #SETUP_FAILED}), if it says. */
    static Optional<String> setupProblem(GuestAgent agent, String execId) {
        try {
            ExecOutput o = read(agent, execId, "setup", 0, 4096);
            return Optional.of(new String(o.bytes(), java.nio.charset.StandardCharsets.UTF_8).strip());
        } catch (AgentException e) {
            return Optional.empty(); // no such file: the command itself exited 125
        }
    }

    static ExecOutput read(GuestAgent agent, String execId, String file, long offset, int max) throws AgentException {
        return readFile(agent, DIR + "/" + execId + "." + file, offset, max);
    }

    static ExecOutput readFile(GuestAgent agent, String path, long offset, int max) throws AgentException {
        long handle = agent.fileOpen(path, "r");
        try {
            if (offset > 0) {
                agent.fileSeek(handle, offset);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (out.size() <= max) {
                GuestAgent.Chunk c = agent.fileRead(handle, Math.min(GuestAgent.CHUNK, max + 1 - out.size()));
                out.write(c.bytes(), 0, c.bytes().length);
                if (c.eof() || c.bytes().length == 0) {
                    break;
                }
            }
            byte[] all = out.toByteArray();
            return all.length > max ? new ExecOutput(java.util.Arrays.copyOf(all, max), true) : new ExecOutput(all, false);
        } finally {
            agent.fileClose(handle);
        }
    }

    static Duration elapsedSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
