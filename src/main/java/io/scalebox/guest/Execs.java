package io.scalebox.guest;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.AgentSession;
import io.scalebox.agent.Agents;
import io.scalebox.agent.GuestAgent;
import io.scalebox.metrics.Metrics;
import io.scalebox.vm.ErrorCode;
import io.scalebox.vm.Vm;
import io.scalebox.vm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Commands run in VMs ({@link GuestExec}): in the foreground (the request waits for the end,
 * killing the command's process group at its timeout), or in the background (an exec id to
 * poll, follow and kill; its record on disk, watched every second, so that it survives a
 * restart of the daemon; kept {@link #KEEP} after its end). At most {@link #MAX_RUNNING}
 * commands at once on the host, each one holding a thread while it is watched.
 */
public final class Execs {
    private static final Logger LOG = LogManager.getLogger(Execs.class);
    public static final Pattern EXEC_ID = Pattern.compile("ex-[0-9a-f]{12}");
    static final int MAX_RUNNING = 256;
    /** How long a file operation waits for a VM's agent that has not answered yet (the guest boots). */
    public static final Duration AGENT_PATIENCE = Duration.ofSeconds(120);
    static final Duration KEEP = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Agents agents;
    private final Metrics metrics;
    private final Semaphore slots = new Semaphore(MAX_RUNNING);
    private final ExecRecords background;
    /** A VM's status, by id: a paused VM's background commands wait in its saved state. */
    private final java.util.function.Function<String, Optional<Vm.Status>> status;
    /** Output directories to remove, by VM. */
    private final Map<String, java.util.Set<String>> toClean = new ConcurrentHashMap<>();

    public Execs(Agents agents, Path vmsDir, Metrics metrics, java.util.function.Function<String, Optional<Vm.Status>> status) {
        this.agents = agents;
        this.status = status;
        this.background = new ExecRecords(vmsDir);
        this.metrics = metrics;
    }

    /** Runs {@code spec} and waits for its end (at most its timeout, then it is killed). */
    public ExecResult run(String vmId, ExecSpec spec) throws VmException {
        long t0 = System.nanoTime();
        take();
        try {
            // A VM just created is still booting: the command waits for its agent, within its own time.
            GuestAgent agent = new GuestAgent(agents.ready(vmId, spec.timeout()));
            String id = newId();
            long pid = GuestExec.start(agent, id, spec);
            long deadline = t0 + spec.timeout().toNanos();
            Optional<GuestExec.End> end = Optional.empty();
            boolean timedOut = false;
            long wait = 5;
            while (end.isEmpty()) {
                end = GuestExec.poll(agent, pid);
                if (end.isEmpty() && !timedOut && System.nanoTime() > deadline) {
                    GuestExec.kill(agent, pid);
                    timedOut = true;
                    deadline = System.nanoTime() + GuestAgent.CALL.toNanos();
                } else if (end.isEmpty() && timedOut && System.nanoTime() > deadline) {
                    throw new AgentException(AgentException.Kind.TIMEOUT, "the command did not end when killed");
                } else if (end.isEmpty()) {
                    // Soon at first (most commands are short), then every 50 ms: each look costs the guest little.
                    GuestScript.sleep(wait);
                    wait = Math.min(wait * 2, 50);
                }
            }
            if (end.get().exitCode().orElse(0) == GuestExec.SETUP_FAILED) {
                Optional<String> problem = GuestExec.setupProblem(agent, id);
                if (problem.isPresent()) {
                    cleanLater(vmId, id);
                    throw new VmException(ErrorCode.EXEC_FAILED, "the command did not start: "
                            + AgentException.quote(problem.get()));
                }
            }
            ExecOutput out = GuestExec.read(agent, id, "stdout", 0, spec.maxOutputBytes());
            ExecOutput err = GuestExec.read(agent, id, "stderr", 0, spec.maxOutputBytes());
            cleanLater(vmId, id); // off the request's path: removing costs the guest a process
            long nanos = System.nanoTime() - t0;
            metrics.exec("foreground", endOf(end.get(), timedOut), nanos);
            metrics.guestBytes("output", "from_guest", out.bytes().length + err.bytes().length);
            spec.stdin().ifPresent(in -> metrics.guestBytes("stdin", "to_guest", in.length));
            return new ExecResult(end.get().exitCode(), end.get().signal(), timedOut, out.bytes(), err.bytes(),
                    out.more(), err.more(), nanos / 1_000_000);
        } catch (AgentException e) {
            metrics.exec("foreground", "failed", System.nanoTime() - t0);
            throw error(e);
        } catch (VmException e) {
            metrics.exec("foreground", "failed", System.nanoTime() - t0);
            throw e;
        } finally {
            slots.release();
        }
    }

    /** Starts {@code spec} in the background; its record says how to follow it. */
    public ExecRecord start(String vmId, ExecSpec spec) throws VmException {
        take();
        boolean started = false;
        try {
            GuestAgent agent = new GuestAgent(agents.ready(vmId, spec.timeout()));
            String id = newId();
            long now = System.currentTimeMillis();
            long pid = GuestExec.start(agent, id, spec);
            ExecRecord r = ExecRecord.started(id, vmId, pid, now, now + spec.timeout().toMillis(), spec);
            if (!background.save(r)) {
                throw new VmException(ErrorCode.VM_NOT_FOUND, "VM not found");
            }
            started = true;
            spec.stdin().ifPresent(in -> metrics.guestBytes("stdin", "to_guest", in.length));
            LOG.info("{}: command {} started in the background (guest pid {})", vmId, id, pid);
            return r;
        } catch (AgentException e) {
            throw error(e);
        } catch (IOException e) {
            throw new VmException(ErrorCode.RECORD_FAILED, "Cannot record the command: " + e.getMessage(), e);
        } finally {
            if (!started) {
                slots.release(); // a running background command keeps its slot until it ends
            }
        }
    }

    /** A background command of {@code vmId}. */
    public ExecRecord get(String vmId, String execId) throws VmException {
        return background.get(execId).filter(r -> r.vmId().equals(vmId)).orElseThrow(() ->
                new VmException(ErrorCode.EXEC_NOT_FOUND, "No such command (exec id " + execId + ")"));
    }

    /** Output of a background command from {@code offset}: at most {@code max} bytes. */
    public ExecOutput output(String vmId, String execId, String stream, long offset, int max)
            throws VmException {
        ExecRecord r = get(vmId, execId);
        try {
            ExecOutput o = GuestExec.read(agent(vmId), r.execId(), stream, offset, max);
            metrics.guestBytes("output", "from_guest", o.bytes().length);
            return o;
        } catch (AgentException e) {
            // Just started: its wrapper has not opened the output file yet (a moment under emulation).
            if (AgentErrors.notFound(e) && r.state() == ExecRecord.State.running) {
                return new ExecOutput(new byte[0], false);
            }
            throw error(e);
        }
    }

    /** Kills a background command that runs (its process group), then forgets it and its output. */
    public void delete(String vmId, String execId) throws VmException {
        ExecRecord r = get(vmId, execId);
        try {
            GuestAgent agent = new GuestAgent(agents.ready(vmId, Duration.ZERO));
            if (r.state() == ExecRecord.State.running) {
                GuestExec.kill(agent, r.pid());
            }
            GuestExec.clean(agent, List.of(execId));
        } catch (AgentException e) {
            LOG.warn("{}: command {}: its guest side could not be cleaned ({}); forgotten all the same", vmId, execId,
                    e.getMessage());
        }
        forget(r);
    }

    /**
     * The watch (every second): background commands that ended are recorded so, those past
     * their time are killed, those whose VM stopped are lost (a paused VM's wait in its state);
     * ended ones go after {@link #KEEP}.
     */
    public void watch() {
        clean();
        long now = System.currentTimeMillis();
        for (ExecRecord r : background.all()) {
            if (r.state() != ExecRecord.State.running) {
                if (now - r.finishedAtMillis() > KEEP.toMillis()) {
                    try {
                        delete(r.vmId(), r.execId());
                    } catch (VmException e) {
                        // already gone
                    }
                }
                continue;
            }
            Optional<Vm.Status> vm = status.apply(r.vmId());
            if (vm.equals(Optional.of(Vm.Status.paused))) {
                continue;
            }
            try {
                GuestAgent agent = new GuestAgent(agents.ready(r.vmId(), Duration.ZERO));
                Optional<GuestExec.End> end = GuestExec.poll(agent, r.pid());
                if (end.isPresent()) {
                    boolean timedOut = now > r.deadlineMillis();
                    ended(r.ended(end.get(), timedOut, now), endOf(end.get(), timedOut));
                } else if (now > r.deadlineMillis()) {
                    LOG.info("{}: command {} ran out of time: killed with its process group", r.vmId(), r.execId());
                    GuestExec.kill(agent, r.pid());
                }
            } catch (AgentException e) {
                // A VM still running whose agent is away is being paused (or stopped: the next watch).
                if (!vm.equals(Optional.of(Vm.Status.running)) || e.kind() == AgentException.Kind.FAILED) {
                    LOG.warn("{}: command {} is lost ({})", r.vmId(), r.execId(), e.getMessage());
                    ended(r.lost(now), "failed");
                }
            }
        }
    }

    /** The background commands recorded on disk, at the daemon's start; those running take their slots. */
    public void load(List<String> vmIds) {
        for (ExecRecord r : background.load(vmIds)) {
            if (r.state() == ExecRecord.State.running && !slots.tryAcquire()) {
                LOG.warn("{}: more background commands than slots", r.vmId());
            }
        }
    }

    /** A finished foreground command's directory, removed by the next watch (one process for all of a VM's). */
    private void cleanLater(String vmId, String execId) {
        toClean.computeIfAbsent(vmId, k -> ConcurrentHashMap.newKeySet()).add(execId);
    }

    private void clean() {
        for (Map.Entry<String, java.util.Set<String>> e : toClean.entrySet()) {
            List<String> ids = List.copyOf(e.getValue());
            if (ids.isEmpty()) {
                continue;
            }
            try {
                GuestExec.clean(new GuestAgent(agents.ready(e.getKey(), Duration.ZERO)), ids);
            } catch (AgentException ex) {
                // Stopped: /run went with the guest's memory. Otherwise the next watch tries again.
                if (agents.state(e.getKey()) != AgentSession.State.unavailable) {
                    continue;
                }
            }
            e.getValue().removeAll(ids);
        }
        toClean.entrySet().removeIf(e -> e.getValue().isEmpty());
    }

    private void ended(ExecRecord r, String end) {
        boolean held;
        try {
            held = background.update(r); // first: the agent has forgotten it now
        } catch (IOException e) {
            held = true;
            LOG.error("{}: cannot record the end of command {}: {}", r.vmId(), r.execId(), e.getMessage());
        }
        if (held) { // else a DELETE forgot it, and released its slot
            slots.release();
            metrics.exec("background", end, (r.finishedAtMillis() - r.startedAtMillis()) * 1_000_000);
            LOG.info("{}: command {} ended ({})", r.vmId(), r.execId(), end);
        }
    }

    private void forget(ExecRecord r) {
        if (background.remove(r) && r.state() == ExecRecord.State.running) {
            slots.release();
        }
    }

    private void take() throws VmException {
        if (!slots.tryAcquire()) {
            throw new VmException(ErrorCode.CAPACITY_EXECS, "As many commands run as the host allows ("
                    + MAX_RUNNING + "); try again when some have ended");
        }
    }

    private GuestAgent agent(String vmId) throws AgentException {
        return new GuestAgent(agents.ready(vmId, Duration.ZERO));
    }

    private static String endOf(GuestExec.End end, boolean timedOut) {
        return timedOut ? "timed_out" : end.signal().isPresent() ? "signaled" : "exited";
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String newId() {
        return "ex-" + HexFormat.of().formatHex(bytes(6));
    }

    private VmException error(AgentException e) {
        return AgentErrors.of(e, metrics);
    }
}
