package dev.bulwark.launcher.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The unit text of {@code bulwark systemd-unit}; SystemdServiceTest runs its ExecStart for real. */
class SystemdUnitTest {
    @Test
    void plainWordsStayAndEverythingElseIsQuotedAsSystemdReadsIt() {
        assertEquals("--env=A=b", SystemdUnit.quote("--env=A=b"));
        assertEquals("\"a b\"", SystemdUnit.quote("a b"));
        assertEquals("\"\"", SystemdUnit.quote(""));
        assertEquals("\";\"", SystemdUnit.quote(";"), "a lone semicolon would separate commands");
        assertEquals("100%%", SystemdUnit.quote("100%"), "specifiers are expanded before unquoting");
        assertEquals("$$HOME", SystemdUnit.quote("$HOME"), "variables are expanded when the command runs");
        assertEquals("\"echo \\\"$$x\\\" \\\\ \\n\\x01\"", SystemdUnit.quote("echo \"$x\" \\ \n\u0001"));
    }

    @Test
    void theUnitStopsThroughTheLauncherAndHasNoExecStop() {
        String unit = SystemdUnit.render("web 100%", true, List.of("/opt/bulwark/bin/bulwark", "run", "--", "sh", "-c", "a b"),
                Path.of("/srv"), 15, false);
        assertTrue(unit.contains("\nDescription=web 100%%\n"), unit);
        assertTrue(unit.contains("\nType=notify\nNotifyAccess=main\n"), unit);
        assertTrue(unit.contains("\nExecStart=/opt/bulwark/bin/bulwark run -- sh -c \"a b\"\n"), unit);
        assertTrue(unit.contains("\nKillMode=mixed\nTimeoutStopSec=15\n"), unit);
        assertTrue(unit.contains("\nWorkingDirectory=/srv\n"), unit);
        assertFalse(unit.contains("ExecStop"), unit);
        assertTrue(unit.endsWith("[Install]\nWantedBy=multi-user.target\n"), unit);
        assertTrue(SystemdUnit.render("x", false, List.of("/b"), Path.of("/"), 15, true).contains("\nType=exec\n"));
        assertTrue(SystemdUnit.render("x", false, List.of("/b"), Path.of("/"), 15, true).contains("\nWantedBy=default.target\n"),
                "a user unit (rootless) is wanted by the user manager's default.target");
    }

    @Test
    void runFlagsAreRepeatedAsGivenOnceEach() {
        StringWriter out = new StringWriter();
        picocli.CommandLine commandLine = new picocli.CommandLine(new BulwarkCli());
        commandLine.setOut(new PrintWriter(out));
        int status = commandLine.execute("systemd-unit", "--bulwark", "/bin/true", "-e", "A=1", "--env", "B=2 3", "--init",
                "--stop-timeout", "7", "--", "python3", "-m", "http.server");
        assertEquals(0, status, out.toString());
        String execStart = out.toString().lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        assertEquals("ExecStart=/bin/true run --env=A=1 \"--env=B=2 3\" --init --stop-timeout=7 -- python3 -m http.server",
                execStart);
        assertTrue(out.toString().contains("\nTimeoutStopSec=12\n"), out.toString());
    }
}
