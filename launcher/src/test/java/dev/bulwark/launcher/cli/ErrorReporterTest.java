package dev.bulwark.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bulwark.launcher.LaunchException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ErrorReporterTest {
    private static String report(Exception e, StringWriter err, int expectedStatus) {
        CommandLine run = new CommandLine(new BulwarkCli()).getSubcommands().get("run");
        run.setErr(new PrintWriter(err));
        assertEquals(expectedStatus, new ErrorReporter().handleExecutionException(e, run, null));
        return err.toString();
    }

    @Test
    void anUnexpectedExceptionIsOneLineSayingItIsABugWithoutItsClassOrTrace() {
        assumeTrue(System.getenv(ErrorReporter.DEBUG) == null, ErrorReporter.DEBUG + " is set: the trace is wanted then");
        String printed = report(new NullPointerException("Cannot invoke \"dev.bulwark.config.model.Linux.hasNamespace\""),
                new StringWriter(), 125);
        assertEquals("bulwark: internal error in \"bulwark run\" (a bug in Bulwark, not in your input); "
                + "run again with BULWARK_DEBUG=1 to see where\n", printed.replace(System.lineSeparator(), "\n"));
    }

    @Test
    void aLaunchErrorKeepsItsStatusAndIsOneLineWhateverItQuotes() {
        String printed = report(new LaunchException("process.args[0]: \"a\nb\u0000\ud800\" not found", 127, null),
                new StringWriter(), 127);
        assertEquals("bulwark: process.args[0]: \"a\\nb\\u0000\\ud800\" not found\n", printed);
    }

    @Test
    void pairedSurrogatesAndOrdinaryTextStayAsTheyAre() {
        assertEquals("emoji \ud83d\ude00 é", ErrorReporter.oneLine("emoji \ud83d\ude00 é"));
    }

    @Test
    void jsonLogRecordIsOneLineOfLevelMessageAndTime() throws Exception {
        java.time.Instant now = java.time.Instant.parse("2026-11-30T20:00:00Z");
        String record = ErrorReporter.logRecord(true, "root.path: \"x\" does not exist\n\tsecond", now);
        org.junit.jupiter.api.Assertions.assertTrue(record.indexOf('\n') == record.length() - 1, record);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(record);
        assertEquals("error", json.get("level").asText());
        assertEquals("root.path: \"x\" does not exist\n\tsecond", json.get("msg").asText());
        assertEquals(now, java.time.Instant.parse(json.get("time").asText()));
    }

    @Test
    void textLogRecordAsRuncWritesIt() {
        assertEquals("time=\"2026-11-30T20:00:00Z\" level=error msg=\"no \\\"such\\\" container\"\n",
                ErrorReporter.logRecord(false, "no \"such\" container", java.time.Instant.parse("2026-11-30T20:00:00Z")));
    }
}
