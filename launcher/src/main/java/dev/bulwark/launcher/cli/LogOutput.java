package dev.bulwark.launcher.cli;

import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * How the launcher's {@link System.Logger} output appears on the command line (through
 * java.util.logging, the JDK's default backend): one line per message, {@code bulwark: warning: ...},
 * each distinct warning once per process however many containers it launches; debug lines only
 * with {@code BULWARK_DEBUG} set.
 *
 * <p>The CLI names this class as java.util.logging's configuration class ({@link #configureOnFirstUse()}),
 * so a launch that logs nothing does not pay for starting java.util.logging.
 */
public final class LogOutput {
    private static final String CONFIG_CLASS_PROPERTY = "java.util.logging.config.class";

    /** Called by java.util.logging's LogManager when it starts: installs the handler on the root logger. */
    public LogOutput() {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        root.addHandler(new OnceHandler(System.err));
        root.setLevel(System.getenv("BULWARK_DEBUG") != null ? Level.FINE : Level.INFO);
    }

    /**
     * Makes java.util.logging configure itself with this class when something first logs (unless a
     * configuration is already named). For the CLI, and for programs that launch containers in-process.
     */
    public static void configureOnFirstUse() {
        if (System.getProperty(CONFIG_CLASS_PROPERTY) == null && System.getProperty("java.util.logging.config.file") == null) {
            System.setProperty(CONFIG_CLASS_PROPERTY, LogOutput.class.getName());
        }
    }

    /** Prints records as "bulwark: LEVEL: message"; a warning seen before is not repeated. */
    static final class OnceHandler extends Handler {
        private final PrintStream err;
        private final Set<String> shown = ConcurrentHashMap.newKeySet();
        private final SimpleFormatter formatter = new SimpleFormatter();

        OnceHandler(PrintStream err) {
            this.err = err;
        }

        @Override
        public void publish(LogRecord record) {
            int level = record.getLevel().intValue();
            String message = formatter.formatMessage(record);
            if (level >= Level.SEVERE.intValue()) {
                err.println("bulwark: error: " + message);
            } else if (level >= Level.WARNING.intValue()) {
                if (shown.add(message)) {
                    err.println("bulwark: warning: " + message);
                }
            } else if (level >= Level.INFO.intValue()) {
                err.println("bulwark: " + message);
            } else {
                err.println("bulwark: debug: " + message);
            }
        }

        @Override
        public void flush() {
            err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
