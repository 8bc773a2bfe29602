package dev.bulwark.launcher.cli;

import dev.bulwark.config.model.Process;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** exec's command line and --process file, without a container (ExecTest runs real ones). */
class ExecCommandTest {
    @TempDir
    Path dir;

    @Test
    void aProcessFileIsReadAsConfigJsonsProcess() throws IOException {
        Path file = dir.resolve("process.json");
        Files.writeString(file, "{\"args\": [\"/bin/sh\"], \"env\": [\"A=b\"], \"cwd\": \"/tmp\", \"user\": {\"uid\": 5, \"gid\": 6}}");
        Process process = ExecCommand.readProcess(file);
        assertEquals(List.of("/bin/sh"), process.args());
        assertEquals("/tmp", process.cwd());
        assertEquals(5, process.user().uid());
        assertNull(process.capabilities(), "left out: the container's are taken");
    }

    @Test
    void aBadProcessFileIsOneLineNamingTheField() throws IOException {
        Path file = dir.resolve("process.json");
        Files.writeString(file, "{\"args\": \"/bin/sh\"}");
        LaunchException e = assertThrows(LaunchException.class, () -> ExecCommand.readProcess(file));
        assertTrue(e.getMessage().startsWith("--process " + file + ":1:"), e.getMessage());
        assertTrue(e.getMessage().contains("process.args: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertEquals(125, e.exitStatus());

        Files.writeString(file, "{\"args\": [\"/bin/sh\"],\n \"user\": {\"uid\": \"x\"}}");
        e = assertThrows(LaunchException.class, () -> ExecCommand.readProcess(file));
        assertTrue(e.getMessage().startsWith("--process " + file + ":2:"), "the file's own line: " + e.getMessage());
        assertTrue(e.getMessage().contains("process.user.uid"), e.getMessage());

        Files.writeString(file, "null");
        assertEquals("--process " + file + ": expected a process object",
                assertThrows(LaunchException.class, () -> ExecCommand.readProcess(file)).getMessage());
        assertEquals("--process " + dir.resolve("missing") + ": no such file",
                assertThrows(LaunchException.class, () -> ExecCommand.readProcess(dir.resolve("missing"))).getMessage());
    }

    @Test
    void userIsUidOrUidColonGid() {
        assertArrayEquals(new long[] {1000, -1}, ExecCommand.parseUser("1000"));
        assertArrayEquals(new long[] {1000, 100}, ExecCommand.parseUser("1000:100"));
        for (String bad : List.of("root", "1000:", ":5", "-1", "1:2:3")) {
            assertThrows(LaunchException.class, () -> ExecCommand.parseUser(bad), bad);
        }
    }

    @Test
    void badCommandLinesFailBeforeLookingForTheContainer() {
        Path root = dir.resolve("state");
        assertOneLine(125, "bulwark: --cgroup: running exec in a sub-cgroup is not supported", "--root", root.toString(), "exec",
                "--cgroup", "sub", "c1", "sh");
        assertOneLine(125, "bulwark: COMMAND: missing (bulwark exec [FLAGS] ID COMMAND..., or --process FILE)",
                "--root", root.toString(), "exec", "c1");
        assertOneLine(125, "bulwark: --cap: unknown capability \"NOPE\" (see capabilities(7); e.g. NET_BIND_SERVICE)",
                "--root", root.toString(), "exec", "--cap", "NOPE", "c1", "sh");
        assertOneLine(255, "bulwark: container \"c1\" does not exist", "--root", root.toString(), "exec", "c1", "sh", "-c", "--cwd");
        assertFalse(Files.exists(root), "no state root made");
    }

    private static void assertOneLine(int status, String line, String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = BulwarkCli.execute(args);
        } finally {
            System.setErr(err);
        }
        assertEquals(line + "\n", captured.toString(StandardCharsets.UTF_8), String.join(" ", args));
        assertEquals(status, exit, String.join(" ", args));
    }
}
