package dev.bulwark.it;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A terminal for an exec'd process, root and rootless, as engines ask for it: {@code exec --console-socket S --detach
 * --process FILE} with {@code terminal: true} (containerd's shim, conmon) sends the master of a pty made in the
 * container's own devpts to the engine (console-receiver.py), its peer the process's controlling terminal and fds 0-2;
 * {@code exec -t} without a socket relays the caller's terminal (pty-run.py's pty): tty, size, typed input, exit status.
 * runc's checks of --tty, --detach and --console-socket are one line each, exit 125.
 */
class ExecTerminalTest {
    private static int counter;

    @ParameterizedTest
    @EnumSource(Mode.class)
    void consoleSocketGetsTheMasterOfAPtyInTheContainersDevpts(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("socket", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sleep", "300"));
        Path dir = socketDirectory();
        Path socket = dir.resolve("console.sock");
        Path process = dir.resolve("process.json");
        Path pidFile = dir.resolve("exec.pid");
        Files.writeString(process, "{\"terminal\": true, \"consoleSize\": {\"height\": 31, \"width\": 99}, \"user\": "
                + "{\"uid\": 0, \"gid\": 0}, \"cwd\": \"/\", \"env\": [\"PATH=/bin\"], \"args\": [\"/bin/sh\", \"-c\", "
                + "\"busybox tty; busybox stty size; [ -t 0 ] && [ -t 1 ] && echo exec-has-a-tty; echo ok\"]}");
        Files.setPosixFilePermissions(process, PosixFilePermissions.fromString("rw-r--r--"));
        java.lang.Process receiver = startReceiver(socket, dir);
        try {
            startContainer(mode, id, bundle);
            Cli.Result exec = Cli.run(mode, cli(mode, "exec", "--console-socket", socket.toString(), "--detach", "--pid-file",
                    pidFile.toString(), "--process", process.toString(), id));
            assertEquals(0, exec.exitCode(), exec.describe());
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver saw the terminal's last holder go");
            String received = new String(receiver.getInputStream().readAllBytes()).replace("\r", "");
            assertTrue(received.startsWith("name=/dev/ptmx\nfds=1\n"), "runc's message: the master's name and one fd: " + received);
            assertTrue(received.contains("\n/dev/pts/0\n"), "the container's own devpts (its init has no pty): " + received);
            assertTrue(received.contains("\n31 99\n"), "consoleSize set before the process ran: " + received);
            assertTrue(received.contains("exec-has-a-tty\nok\n"), received);
            assertTrue(Files.readString(pidFile).strip().matches("\\d+"), "the pid file is written");
        } finally {
            receiver.destroyForcibly();
            cleanUp(mode, id, bundle, dir);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void ttyRelaysTheCallersTerminalAndTheExitStatus(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("relay", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sleep", "300"));
        try {
            startContainer(mode, id, bundle);
            List<String> wrapper = ptyRun(21, 87, "ready", 21, 87, "typed-words\\r");
            Cli.Result result = Cli.start(mode, wrapper, cli(mode, "exec", "-t", id, "/bin/sh", "-c",
                    "busybox tty; busybox stty size; echo ready; read line; echo \"got=$line\"; exit 4")).await(60);
            String output = result.stdout().replace("\r", "");
            assertEquals(4, result.exitCode(), "the process's status through the terminal: " + result.describe());
            assertTrue(output.contains("/dev/pts/0\n"), output);
            assertTrue(output.contains("\n21 87\n"), "the caller's window size: " + output);
            assertTrue(output.contains("got=typed-words"), "typed input reaches the process's terminal: " + output);
            assertEquals("running", stateStatus(mode, id), "the container runs on");
        } finally {
            cleanUp(mode, id, bundle, null);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aResizedCallerTerminalResizesTheProcesssTerminal(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("winch", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sleep", "300"));
        try {
            startContainer(mode, id, bundle);
            Cli.Result result = Cli.start(mode, ptyRun(21, 87, "ready", 40, 120, ""), cli(mode, "exec", "--tty", id, "/bin/sh",
                    "-c", "trap 'busybox stty size; exit 6' WINCH; echo ready; while true; do sleep 0.1; done")).await(60);
            String output = result.stdout().replace("\r", "");
            assertEquals(6, result.exitCode(), "the trap ran on SIGWINCH: " + result.describe());
            assertTrue(output.contains("\n40 120\n"), "the new size passed on: " + output);
        } finally {
            cleanUp(mode, id, bundle, null);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runcsTerminalChecksAreOneLine(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId("checks", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sleep", "300"));
        Path dir = socketDirectory();
        String socket = dir.resolve("console.sock").toString();
        try {
            startContainer(mode, id, bundle);
            assertRefused(mode, "--console-socket: cannot use console socket if runc will not detach or allocate tty "
                    + "(process.terminal is false)", "exec", "--detach", "--console-socket", socket, id, "true");
            assertRefused(mode, "--console-socket: cannot use console socket if runc will not detach or allocate tty "
                    + "(without --detach)", "exec", "-t", "--console-socket", socket, id, "true");
            assertRefused(mode, "--console-socket: cannot allocate tty if runc will detach without setting console socket "
                    + "(process.terminal is true)", "exec", "-t", "--detach", id, "true");
            Cli.Result missing = Cli.run(mode, cli(mode, "exec", "-t", "--detach", "--console-socket", socket, id, "true"));
            assertEquals(125, missing.exitCode(), missing.describe());
            assertEquals("bulwark: --console-socket: cannot connect to " + socket + ": it does not exist", missing.errors().strip());
            assertEquals(List.of(Long.valueOf(stateInt(mode, id, "pid"))), ps(mode, id), "no process was left by the refusals");
        } finally {
            cleanUp(mode, id, bundle, dir);
        }
    }

    // --- helpers ---

    private static void assertRefused(Mode mode, String message, String... verb) {
        Cli.Result refused = Cli.run(mode, cli(mode, verb));
        assertEquals(125, refused.exitCode(), refused.describe());
        assertEquals("bulwark: " + message, refused.errors().strip());
    }

    private static List<Long> ps(Mode mode, String id) throws IOException {
        Cli.Result ps = Cli.run(mode, cli(mode, "ps", "--format", "json", id));
        assertEquals(0, ps.exitCode(), ps.describe());
        List<Long> pids = new ArrayList<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(ps.stdout()).forEach(n -> pids.add(n.asLong()));
        return pids;
    }

    private static void startContainer(Mode mode, String id, Path bundle) {
        Cli.Result create = Cli.run(mode, cli(mode, "create", "--bundle", bundle.toString(), id));
        assertEquals(0, create.exitCode(), create.describe());
        Cli.Result start = Cli.run(mode, cli(mode, "start", id));
        assertEquals(0, start.exitCode(), start.describe());
    }

    private static String stateStatus(Mode mode, String id) throws IOException {
        return stateNode(mode, id).get("status").asText();
    }

    private static int stateInt(Mode mode, String id, String field) throws IOException {
        return stateNode(mode, id).get(field).asInt();
    }

    private static com.fasterxml.jackson.databind.JsonNode stateNode(Mode mode, String id) throws IOException {
        Cli.Result state = Cli.run(mode, cli(mode, "state", id));
        assertEquals(0, state.exitCode(), state.describe());
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.stdout());
    }

    private static void cleanUp(Mode mode, String id, Path bundle, Path dir) {
        if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
            Cli.run(mode, cli(mode, "delete", "--force", id));
        }
        Bundles.delete(bundle);
        if (dir != null) {
            Cli.deleteTree(dir);
        }
    }

    private static String newId(String what, Mode mode) {
        return "exectty-" + what + "-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    private static List<String> cli(Mode mode, String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(mode).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    private static void assumePython() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 (3.9+, for socket.recv_fds and pty) is needed: "
                + "Debian's python3 package");
    }

    /** A directory the rootless launcher can reach and write its pid file in (the receiver makes the socket 0666). */
    private static Path socketDirectory() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-exec-console");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    private static java.lang.Process startReceiver(Path socket, Path dir) throws Exception {
        Path ready = dir.resolve("ready");
        java.lang.Process receiver = new ProcessBuilder("/usr/bin/python3", resource("console-receiver.py"), socket.toString(),
                ready.toString(), "30").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(ready) && System.nanoTime() < deadline && receiver.isAlive()) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(ready), "the console receiver listens");
        return receiver;
    }

    /** pty-run.py as a wrapper (run as root before any switch to the rootless user): the caller's terminal. */
    private static List<String> ptyRun(int rows, int columns, String marker, int rows2, int columns2, String typed)
            throws URISyntaxException {
        return new ArrayList<>(List.of("/usr/bin/python3", resource("pty-run.py"), Integer.toString(rows), Integer.toString(columns),
                marker, Integer.toString(rows2), Integer.toString(columns2), typed, "40", "--"));
    }

    private static String resource(String name) throws URISyntaxException {
        return Path.of(ExecTerminalTest.class.getResource("/" + name).toURI()).toString();
    }
}
