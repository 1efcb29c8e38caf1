package io.scalebox.fleet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Where a VM goes: E2B's best-of-K. Of the ready hosts that have the template and room for the
 * VM's memory and disk, K are drawn at random and ranked by what would be left free; the rest
 * follow, ranked the same way, as fallbacks when the first refuses. With K or fewer hosts it is
 * plain best fit. Random draws spread concurrent creates that all read the same loads.
 */
public final class Placement {
    /** The shape of the VM to place. */
    public record Shape(String template, int vcpus, long memMib, long diskBytes) {
    }

    /** Memory a host keeps for itself beyond what it gives VMs. */
    static final long HOST_RESERVE_MIB = 512;
    /** The space a create leaves free (the engine's own rule: disk + 2 GiB). */
    static final long DISK_RESERVE = 2L << 30;

    private final int k;
    private final Random random;

    public Placement(int k, Random random) {
        this.k = k;
        this.random = random;
    }

    /** Hosts that can take the VM, best first; empty when none can. */
    public List<FleetHost> rank(List<FleetHost> hosts, Shape shape) {
        List<FleetHost> fit = new ArrayList<>();
        for (FleetHost h : hosts) {
            if (fits(h, shape)) {
                fit.add(h);
            }
        }
        Collections.shuffle(fit, random);
        int drawn = Math.min(k, fit.size());
        List<FleetHost> best = new ArrayList<>(fit.subList(0, drawn));
        List<FleetHost> rest = new ArrayList<>(fit.subList(drawn, fit.size()));
        Comparator<FleetHost> byScore = Comparator.comparingDouble((FleetHost h) -> score(h, shape)).reversed();
        best.sort(byScore);
        rest.sort(byScore);
        best.addAll(rest);
        return best;
    }

    static boolean fits(FleetHost h, Placement.Shape shape) {
        Load l = h.load();
        return h.status() == FleetHost.Status.READY && h.hasTemplate(shape.template())
                && free(l) - shape.memMib() >= HOST_RESERVE_MIB
                && l.diskFreeBytes() - shape.diskBytes() >= DISK_RESERVE;
    }

    /** Memory not in use and not promised to VMs (a guest touches its memory over time). */
    static long free(Load l) {
        return Math.min(l.memFreeMib(), l.memTotalMib() - l.memAllocatedMib());
    }

    /** The share of memory, vCPUs and disk left after the VM, weighted memory first (what runs out first). */
    static double score(FleetHost h, Shape shape) {
        Load l = h.load();
        double mem = l.memTotalMib() == 0 ? 0 : (double) (free(l) - shape.memMib()) / l.memTotalMib();
        double cpu = l.cpus() == 0 ? 0 : (double) (l.cpus() - l.vcpusAllocated() - shape.vcpus()) / l.cpus();
        double disk = Math.min(1.0, (double) (l.diskFreeBytes() - shape.diskBytes()) / (1L << 40));
        return 0.5 * mem + 0.3 * cpu + 0.2 * disk;
    }
}
