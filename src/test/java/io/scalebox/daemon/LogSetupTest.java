package io.scalebox.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lines the daemon writes: journald priority prefixes on every line of an event, stack traces too. */
class LogSetupTest {
    @AfterEach
    void clear() {
        System.clearProperty("scalebox.appender");
    }

    private static String line(String appender, Level level, Throwable thrown) {
        System.setProperty("scalebox.appender", appender);
        Configuration c = new LogSetup().getConfiguration(new LoggerContext("test"), ConfigurationSource.NULL_SOURCE);
        c.initialize();
        Layout<?> layout = c.getAppender(appender).getLayout();
        return new String(layout.toByteArray(Log4jLogEvent.newBuilder().setLoggerName("io.scalebox.vm.Lifecycle")
                .setLevel(level).setMessage(new SimpleMessage("vm-1: boom")).setThrown(thrown).build()));
    }

    @Test
    void journalLinesCarryPrioritiesAndStackTracesArePrefixedLineByLine() {
        assertEquals("<6>Lifecycle: vm-1: boom\n", line("journal", Level.INFO, null));
        assertEquals("<4>Lifecycle: vm-1: boom\n", line("journal", Level.WARN, null));
        String error = line("journal", Level.ERROR, new IllegalStateException("bad"));
        assertTrue(error.startsWith("<3>Lifecycle: vm-1: boom\n<3>  java.lang.IllegalStateException: bad\n<3>  \tat "), error);
        for (String l : error.split("\n")) {
            assertTrue(l.startsWith("<3>"), "every line has a priority: " + l);
        }
    }

    @Test
    void consoleLinesHaveTimeAndLevel() {
        assertTrue(line("console", Level.INFO, null).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Lifecycle: vm-1: boom\n"));
    }
}
