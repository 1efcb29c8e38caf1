package io.scalebox.network;

import io.scalebox.host.CommandException;
import java.util.Collection;
import java.util.Set;

/**
 * scalebox's own nftables tables ({@link Firewall}): the guests' containment and their port
 * forwards, rewritten whole from the VMs; checked and repaired when someone changed them.
 */
public interface ForwardingTable {
    /** One VM as the rules see it: its TAP, MAC and address (anti-spoofing) and its UDP forward. */
    record Guest(String vmId, String tap, String mac, int address, int port) {
    }

    /** Replaces the tables atomically with rules for exactly these guests. */
    void apply(Collection<Guest> guests) throws CommandException;

    /** The VM ids that rules in the current table belong to (empty when there is no table). */
    Set<String> vmIdsInTable();

    /** Whether the tables are still as the last {@link #apply} left them (nobody flushed or edited them). */
    boolean intact();
}
