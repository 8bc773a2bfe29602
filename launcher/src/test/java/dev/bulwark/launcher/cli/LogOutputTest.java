package dev.bulwark.launcher.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LogOutputTest {
    @Test
    void eachWarningIsShownOnceAsOneBulwarkLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LogOutput.OnceHandler handler = new LogOutput.OnceHandler(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        for (int launch = 0; launch < 47; launch++) {
            handler.publish(new LogRecord(Level.WARNING, "cgroup v2 cannot apply the default pids/memory limits here"));
        }
        handler.publish(new LogRecord(Level.WARNING, "another"));
        handler.publish(new LogRecord(Level.FINE, "why: {0}"));
        assertEquals("""
                bulwark: warning: cgroup v2 cannot apply the default pids/memory limits here
                bulwark: warning: another
                bulwark: debug: why: {0}
                """, bytes.toString(StandardCharsets.UTF_8));
    }
}
