package io.scalebox.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lines the daemon writes: journald priority prefixes on every line of an event, stack traces too. */
class LineLoggersTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final LineLoggers journal = new LineLoggers(LogLines.JOURNAL,
            new PrintStream(bytes, true, StandardCharsets.UTF_8));

    @AfterEach
    void resetLevel() {
        LineLoggers.setLevel(Level.INFO);
    }

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void journalLinesCarryPrioritiesAndParameters() {
        Logger log = journal.getLogger("io.scalebox.vm.Lifecycle");
        log.info("{}: started in {} ms", "vm-1", 12);
        log.warn("vm-1: slow");
        log.fatal("config: bad");
        assertEquals("<6>Lifecycle: vm-1: started in 12 ms\n<4>Lifecycle: vm-1: slow\n<2>Lifecycle: config: bad\n",
                written());
    }

    @Test
    void aMessageCannotStartAJournalEntryOfItsOwn() {
        journal.getLogger("io.scalebox.api.ApiServer").warn("GET {} failed", "/x\n<2>Main: forged\r\u0000");
        assertEquals("<4>ApiServer: GET /x\\n<2>Main: forged\\r\\u0000 failed\n", written());
    }

    @Test
    void linesAreUtf8WhateverTheLocale() {
        // The stream's own charset is ASCII, as System.out's is in a unit without a locale.
        LineLoggers ascii = new LineLoggers(LogLines.JOURNAL, new PrintStream(bytes, true, StandardCharsets.US_ASCII));
        ascii.getLogger("io.scalebox.vm.Lifecycle").error("vm-1: cp failed (cp \u2026) for \u00e9t\u00e9");
        assertEquals("<3>Lifecycle: vm-1: cp failed (cp \u2026) for \u00e9t\u00e9\n", written());
    }

    @Test
    void everyLineOfAStackTraceHasAPriority() {
        journal.getLogger("io.scalebox.vm.Lifecycle").error("vm-1: boom", new IllegalStateException("bad"));
        String error = written();
        assertTrue(error.startsWith("<3>Lifecycle: vm-1: boom\n<3>  java.lang.IllegalStateException: bad\n<3>  \tat "),
                error);
        for (String l : error.split("\n")) {
            assertTrue(l.startsWith("<3>"), "every line has a priority: " + l);
        }
    }

    @Test
    void aThrowableAsTheLastParameterIsTheStackTrace() {
        journal.getLogger("io.scalebox.api.ApiServer").error("{} failed", "GET /vms", new IllegalStateException("x"));
        assertTrue(written().startsWith("<3>ApiServer: GET /vms failed\n<3>  java.lang.IllegalStateException: x\n"),
                written());
    }

    @Test
    void theLevelDropsWhatIsBelowIt() {
        Logger log = journal.getLogger("io.scalebox.daemon.Daemon");
        log.debug("hidden at info");
        assertEquals("", written());
        LineLoggers.setLevel(Level.DEBUG);
        assertTrue(log.isDebugEnabled());
        log.debug("start took {}", "1 ms");
        LineLoggers.setLevel(Level.ERROR);
        log.warn("hidden at error");
        assertEquals("<7>Daemon: start took 1 ms\n", written());
    }

    @Test
    void undertowAndXnioSayOnlyWarnings() {
        LineLoggers.setLevel(Level.DEBUG);
        journal.getLogger("io.undertow").info("UT000001: version");
        journal.getLogger("org.xnio.nio").info("XNIO NIO Implementation Version");
        journal.getLogger("org.xnio.nio").warn("selector");
        assertEquals("<4>nio: selector\n", written());
    }

    @Test
    void consoleLinesHaveTimeAndLevel() {
        String line = LogLines.CONSOLE.format(0, Level.INFO, "io.scalebox.vm.Lifecycle", "vm-1: boom", null);
        assertTrue(line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Lifecycle: vm-1: boom\n"), line);
    }

    @Test
    void concurrentEventsNeverShareALine() throws InterruptedException {
        Logger log = journal.getLogger("io.scalebox.network.ProxyLoop");
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    log.info("thread {} event {} {}", id, i, "x".repeat(200));
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread t : threads) {
            t.join();
        }
        String[] lines = written().split("\n");
        assertEquals(2000, lines.length);
        for (String l : lines) {
            assertTrue(l.matches("<6>ProxyLoop: thread \\d event \\d+ x{200}"), l);
        }
    }

    @Test
    void theLog4jApiFindsThisBackEnd() {
        assertSame(LineLoggers.class, LogManager.getFactory().getClass());
        assertEquals(LineLogger.class, LogManager.getLogger("io.scalebox.x").getClass());
    }
}
