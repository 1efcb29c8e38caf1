package io.scalebox.daemon;

import java.net.URI;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.AbstractConfiguration;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationFactory;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Log4j 2's configuration, built in code (log4j2.component.properties names this factory):
 * one console output chosen by the launcher's {@code scalebox.appender} property. A
 * configuration file costs every start its parsing and the reflective set-up of each plugin
 * it names (docs/benchmarks.md); the builders used here do the same work directly.
 * <ul>
 * <li>journal: every line, stack-trace lines too, carries a journald priority prefix {@code <N>};
 * <li>console: the same lines with time and level names, for a terminal.
 * </ul>
 */
public final class LogSetup extends ConfigurationFactory {
    static final String JOURNAL = "%level{FATAL=<2>, ERROR=<3>, WARN=<4>, INFO=<6>, DEBUG=<7>, TRACE=<7>}%c{1}: %m%n"
            + "%replace{%ex{full}}{(?m)^(?=.)}{<3>  }";
    static final String CONSOLE = "%d{HH:mm:ss.SSS} %-5level %c{1}: %m%n";

    @Override
    protected String[] getSupportedTypes() {
        return new String[] {"*"};
    }

    @Override
    public Configuration getConfiguration(LoggerContext context, ConfigurationSource source) {
        return new Setup(context);
    }

    @Override
    public Configuration getConfiguration(LoggerContext context, String name, URI location) {
        return new Setup(context);
    }

    private static final class Setup extends AbstractConfiguration {
        Setup(LoggerContext context) {
            super(context, ConfigurationSource.NULL_SOURCE);
            setName("scaleboxd");
        }

        @Override
        protected void doConfigure() {
            boolean journal = "journal".equals(System.getProperty("scalebox.appender"));
            PatternLayout layout = PatternLayout.newBuilder().withConfiguration(this)
                    .withPattern(journal ? JOURNAL : CONSOLE)
                    // The journal pattern writes the stack trace itself, prefixed line by line.
                    .withAlwaysWriteExceptions(!journal).build();
            ConsoleAppender out = ConsoleAppender.newBuilder().setName(journal ? "journal" : "console")
                    .setTarget(journal ? ConsoleAppender.Target.SYSTEM_OUT : ConsoleAppender.Target.SYSTEM_ERR)
                    .setLayout(layout).setConfiguration(this).build();
            out.start();
            addAppender(out);
            LoggerConfig root = getRootLogger();
            root.setLevel(Level.INFO);
            root.addAppender(out, null, null);
            // Undertow and XNIO announce their versions at every start: not events an operator needs.
            for (String quiet : List.of("io.undertow", "org.xnio")) {
                addLogger(quiet, new LoggerConfig(quiet, Level.WARN, true));
            }
        }
    }
}
