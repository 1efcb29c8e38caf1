package io.scalebox.network;

import io.scalebox.host.CommandException;
import java.util.List;

/** The VMs' TAP devices on the bridge (iproute2 in {@link Network}). */
public interface TapDevices {
    /** Creates the TAP on the bridge, replacing one left with that name. */
    void createTap(String tap) throws CommandException;

    /** Deletes the TAP if it exists; true when there was one. Never throws. */
    boolean deleteTap(String tap);

    /** TAP devices with scalebox's prefix (for reconciliation). */
    List<String> taps() throws CommandException;
}
