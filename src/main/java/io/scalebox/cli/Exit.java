package io.scalebox.cli;

/** The CLI's exit codes; scripts tell failures apart by them (documented in scalebox(1)). */
public enum Exit {
    OK(0), FAILURE(1), USAGE(2), CONNECTION(3), API(4), TIMEOUT(5);

    private final int code;

    Exit(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
