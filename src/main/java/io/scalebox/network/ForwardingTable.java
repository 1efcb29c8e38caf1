package io.scalebox.network;

import io.scalebox.host.CommandException;
import java.util.Collection;
import java.util.Set;

/** scalebox's own nftables table, rewritten whole from the VMs' forwards ({@link Firewall}). */
public interface ForwardingTable {
    /** One VM's forward: host UDP port to the same port on the guest. */
    record Forward(String vmId, int guestAddress, int port) {
    }

    /** Replaces the table atomically with rules for exactly these forwards. */
    void apply(Collection<Forward> forwards) throws CommandException;

    /** The VM ids that rules in the current table belong to (empty when there is no table). */
    Set<String> vmIdsInTable();
}
