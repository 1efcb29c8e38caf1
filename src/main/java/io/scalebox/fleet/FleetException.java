package io.scalebox.fleet;

/** A refusal of the fleet's, with the HTTP status and the api.md error code it answers with. */
public final class FleetException extends Exception {
    private final int status;
    private final String code;

    public FleetException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    static FleetException unavailable(EtcdException e) {
        return new FleetException(503, "fleet_unavailable", "The fleet's registry (etcd) does not answer, so names "
                + "cannot be checked: creates wait until it is back; VMs keep running (" + e.getMessage() + ")");
    }
}
