package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.*;

/** --log records: runc's JSON shape (containerd and Podman parse it) and its text shape. */
class ErrorReporterTest {
    @Test
    void jsonRecordIsOneLineOfLevelMessageAndTime() throws Exception {
        Instant now = Instant.parse("2026-11-30T20:00:00Z");
        String record = ErrorReporter.logRecord(true, "root.path: \"x\" does not exist\n\tsecond", now);
        assertTrue(record.endsWith("\n") && record.indexOf('\n') == record.length() - 1, record);
        JsonNode json = new ObjectMapper().readTree(record);
        assertEquals("error", json.get("level").asText());
        assertEquals("root.path: \"x\" does not exist\n\tsecond", json.get("msg").asText());
        assertEquals(now, Instant.parse(json.get("time").asText()));
    }

    @Test
    void textRecordAsRuncWritesIt() {
        assertEquals("time=\"2026-11-30T20:00:00Z\" level=error msg=\"no \\\"such\\\" container\"\n",
                ErrorReporter.logRecord(false, "no \"such\" container", Instant.parse("2026-11-30T20:00:00Z")));
    }
}
