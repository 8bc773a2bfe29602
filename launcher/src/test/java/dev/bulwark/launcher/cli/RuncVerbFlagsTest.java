package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The value syntaxes runc's update and events take: sizes as go-units' RAMInBytes, intervals as Go durations. */
class RuncVerbFlagsTest {
    @Test
    void updateSizesAreBinaryAsRuncs() {
        assertEquals(1024L, UpdateCommand.bytes("--memory", "1024"));
        assertEquals(64L << 20, UpdateCommand.bytes("--memory", "64m"));
        assertEquals(64L << 20, UpdateCommand.bytes("--memory", "64MiB"));
        assertEquals(1L << 30, UpdateCommand.bytes("--memory", "1g"));
        assertEquals(1536L << 20, UpdateCommand.bytes("--memory", "1.5G"));
        assertEquals(512L << 10, UpdateCommand.bytes("--memory", "512kb"));
        assertEquals(-1L, UpdateCommand.bytes("--memory-swap", "-1"));
        assertNull(UpdateCommand.bytes("--memory", null));
        for (String bad : List.of("", "lots", "-5m", "1x", "9999999999999p")) {
            assertThrows(LaunchException.class, () -> UpdateCommand.bytes("--memory", bad), bad);
        }
    }

    @Test
    void eventsIntervalsAreGoDurations() {
        assertEquals(Duration.ofSeconds(5), EventsCommand.parseDuration("5s"));
        assertEquals(Duration.ofMillis(250), EventsCommand.parseDuration("250ms"));
        assertEquals(Duration.ofSeconds(90), EventsCommand.parseDuration("1m30s"));
        assertEquals(Duration.ofMillis(1500), EventsCommand.parseDuration("1.5s"));
        assertEquals(Duration.ofHours(2), EventsCommand.parseDuration("2h"));
        for (String bad : List.of("", "0s", "5", "s", "-1s", "1d", "5s ", "1e3s")) {
            assertThrows(LaunchException.class, () -> EventsCommand.parseDuration(bad), bad);
        }
    }
}
