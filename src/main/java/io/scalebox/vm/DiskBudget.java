package io.scalebox.vm;

import io.scalebox.storage.SpaceProbe;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Honest disk accounting: VM disks are sparse, so a create must fit not only its own disk but
 * what the existing VMs may still grow into. A VM's nominal size is committed from its
 * allocation on; a create is refused (507) when the commitments not yet written, plus the new
 * disk and a 2 GiB reserve, exceed the free space times DISK_OVERCOMMIT.
 */
final class DiskBudget {
    private static final Logger LOG = LogManager.getLogger(DiskBudget.class);
    static final long GIB = 1024L * 1024 * 1024;
    /** api.md: a create needs the disk plus this much free space. */
    static final long RESERVE_BYTES = 2 * GIB;

    private final SpaceProbe probe;
    private final Path vmsDir;
    private final double overcommit;

    DiskBudget(SpaceProbe probe, Path vmsDir, double overcommit) {
        this.probe = probe;
        this.vmsDir = vmsDir;
        this.overcommit = overcommit;
    }

    /**
     * Refuses a new disk of {@code newBytes} when the VMs' commitments ({@code committedBytes},
     * nominal sizes of every VM and create under way) would not fit. Call under the allocation lock.
     */
    void require(long newBytes, long committedBytes) throws VmException {
        long free;
        long written;
        try {
            free = probe.usable(vmsDir);
            written = probe.allocated(vmsDir);
        } catch (IOException e) {
            throw new VmException(ErrorCode.STORAGE_CHECK_FAILED, "Cannot check free space: " + e.getMessage(), e);
        }
        long stillToGrow = Math.max(0, committedBytes - written);
        long need = newBytes + RESERVE_BYTES;
        double available = Math.max(0, free - stillToGrow) * overcommit;
        if (need > available) {
            // api.md fixes the message; the commitment is in the log.
            LOG.warn("create refused: {}GB free, {}GB of it committed to existing VMs' disks, overcommit {}, need {}GB",
                    gb(free), gb(stillToGrow), overcommit, gb(need));
            throw new VmException(ErrorCode.INSUFFICIENT_SPACE, "Insufficient storage: "
                    + gb((long) available) + "GB available, need " + gb(need) + "GB");
        }
    }

    /** A snapshot copies up to the source disk's allocated size; the reserve stays free. */
    void requireCopy(Path disk) throws VmException {
        try {
            requireFree(probe.allocated(disk));
        } catch (IOException e) {
            throw new VmException(ErrorCode.STORAGE_CHECK_FAILED, "Cannot check free space: " + e.getMessage(), e);
        }
    }

    /** A pause writes up to the guest's memory and its devices' state; the reserve stays free. */
    void requireState(long bytes) throws VmException {
        requireFree(bytes);
    }

    private void requireFree(long bytes) throws VmException {
        try {
            long need = bytes + RESERVE_BYTES;
            long free = probe.usable(vmsDir);
            if (need > free) {
                throw new VmException(ErrorCode.INSUFFICIENT_SPACE, "Insufficient storage: "
                        + gb(free) + "GB available, need " + gb(need) + "GB");
            }
        } catch (IOException e) {
            throw new VmException(ErrorCode.STORAGE_CHECK_FAILED, "Cannot check free space: " + e.getMessage(), e);
        }
    }

    static String gb(long bytes) {
        double g = Math.round(bytes / (double) GIB * 10) / 10.0;
        return g == Math.rint(g) ? String.valueOf((long) g) : String.valueOf(g);
    }
}
