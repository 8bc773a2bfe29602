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

    /**
     * CVE-2024-21626 class: a container replaces /dev/ptmx (a symlink it may rewrite) to steer the exec child's pty open
     * onto another file (through a magic link, a host file). The child opens devpts' own /dev/pts/ptmx without following
     * any symlink, so the planted link is never used: the terminal is a pty of the container's devpts and the target
     * is untouched (the earlier open of /dev/ptmx by name opened it and failed on TIOCSPTLCK).
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aSymlinkPlantedAtDevPtmxIsNeverFollowed(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("planted", mode);
        Path bundle = Bundles.create(mode, spec -> writableDev(Containers.withArgs(spec, "/bin/sleep", "300")));
        try {
            startContainer(mode, id, bundle);
            assertEquals("/dev/victim", plant(mode, id, "echo untouched > /dev/victim && rm -f /dev/ptmx && ln -s /dev/victim /dev/ptmx "
                    + "&& busybox readlink /dev/ptmx").strip(), "planted");
            Cli.Result result = Cli.start(mode, ptyRun(21, 87, "ready", 21, 87, ""), cli(mode, "exec", "-t", id, "/bin/sh", "-c",
                    "[ \"$(busybox stat -L -c %d /proc/self/fd/0)\" = \"$(busybox stat -c %d /dev/pts/ptmx)\" ] && echo same-devpts; "
                    + "echo ready")).await(60);
            String output = result.stdout().replace("\r", "");
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(output.contains("same-devpts\n"), "the terminal is a pty of the container's devpts: " + output);
            assertEquals("untouched", plant(mode, id, "cat /dev/victim").strip(), "the link's target is left alone");
        } finally {
            cleanUp(mode, id, bundle, null);
        }
    }

    /**
     * Without a devpts at /dev/pts (a config that mounts none) the container owns /dev/pts/ptmx: a symlink planted there
     * fails the open (ELOOP), a plain file fails the master check (TIOCGPTN: ENOTTY) before any ioctl changes it. The
     * exec is refused with one line, nothing is left behind and the file is untouched.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aContainerOwnedDevPtsPtmxIsRefused(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("nopts", mode);
        Path bundle = Bundles.create(mode, spec -> writableDev(Containers.withArgs(spec, "/bin/sleep", "300"))
                .withMounts(spec.mounts().stream().filter(m -> !m.destination().equals("/dev/pts")).toList()));
        Path dir = socketDirectory();
        try {
            startContainer(mode, id, bundle);
            assertEquals("/dev/victim", plant(mode, id, "echo untouched > /dev/victim && mkdir -p /dev/pts && ln -s /dev/victim /dev/pts/ptmx "
                    + "&& busybox readlink /dev/pts/ptmx").strip(), "planted");
            assertExecTerminalRefused(mode, id, dir, "ELOOP");
            assertEquals("plain", plant(mode, id, "rm /dev/pts/ptmx && echo plain > /dev/pts/ptmx && cat /dev/pts/ptmx").strip());
            assertExecTerminalRefused(mode, id, dir, "ENOTTY");
            assertEquals("untouched", plant(mode, id, "cat /dev/victim").strip(), "the link's target is left alone");
            assertEquals("plain", plant(mode, id, "cat /dev/pts/ptmx").strip(), "the plain file is left alone");
            assertEquals(List.of(Long.valueOf(stateInt(mode, id, "pid"))), ps(mode, id), "no process was left by the refusals");
        } finally {
            cleanUp(mode, id, bundle, dir);
        }
    }

    /**
     * exec -t --ignore-paused waits in the frozen cgroup before its child sends the terminal's master; delete --force
     * kills that child there (no failure record). The launcher holds no copy of the child's end of the socket pair, so
     * its receive sees end-of-file: the exec ends with one line, and nothing is left (no process, cgroup, state).
     */
    @org.junit.jupiter.api.Test
    void aTtyExecWhoseChildIsKilledInAPausedContainerEndsWithOneLine() throws Exception {
        Mode mode = Mode.ROOT; // pause needs the container's own cgroup
        mode.assumeAvailable();
        String id = newId("pausedkill", mode);
        Path bundle = Bundles.create(mode, spec -> ownCgroup(Containers.withArgs(spec, "/bin/sleep", "300")));
        try {
            startContainer(mode, id, bundle);
            Cli.Result pause = Cli.run(mode, cli(mode, "pause", id));
            assertEquals(0, pause.exitCode(), pause.describe());
            Cli.Running exec = Cli.start(mode, cli(mode, "exec", "-t", "--ignore-paused", id, "/bin/echo", "never"));
            Thread.sleep(1000);
            assertTrue(exec.process().isAlive(), "the exec's child waits in the frozen cgroup: " + exec.stderrSoFar());
            Cli.Result delete = Cli.run(mode, cli(mode, "delete", "--force", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            Cli.Result ended = exec.await(30); // before the fix: recvmsg never saw end-of-file
            assertEquals(255, ended.exitCode(), ended.describe());
            String error = ended.errors().strip();
            assertEquals(1, error.lines().count(), "one line: " + ended.describe());
            assertTrue(error.startsWith("bulwark: exec: the terminal's master did not arrive"), ended.describe());
            assertTrue(!ended.stdout().contains("never"), "the process never ran: " + ended.describe());
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
            assertTrue(!Files.exists(Cli.stateRoot(mode).resolve(id)), "no state directory left");
        } finally {
            cleanUp(mode, id, bundle, null);
        }
    }

    // --- helpers ---

    /** A cgroup of the container's own (a resource set), which pause freezes. */
    private static dev.bulwark.config.model.Spec ownCgroup(dev.bulwark.config.model.Spec spec) {
        return spec.withLinux(spec.linux().withResources(new dev.bulwark.config.model.LinuxResources(null, null, null, null,
                null, null, null, null, java.util.Map.of("cgroup.max.descendants", "100"))));
    }

    /** Landlock off (an explicit loosening, as in a config that is not hardened): the container's root may write its /dev. */
    private static dev.bulwark.config.model.Spec writableDev(dev.bulwark.config.model.Spec spec) {
        java.util.Map<String, String> annotations = new java.util.HashMap<>(spec.annotations() == null ? java.util.Map.of() : spec.annotations());
        annotations.put("dev.bulwark.landlock", "off");
        return spec.withAnnotations(annotations);
    }

    /** Runs {@code script} in the container without a terminal (as its own root): its stdout. */
    private static String plant(Mode mode, String id, String script) {
        Cli.Result planted = Cli.run(mode, cli(mode, "exec", id, "/bin/sh", "-c", script));
        assertEquals(0, planted.exitCode(), planted.describe());
        return planted.stdout();
    }

    private static void assertExecTerminalRefused(Mode mode, String id, Path dir, String errno) throws Exception {
        Path socket = dir.resolve("console-" + errno + ".sock");
        java.lang.Process receiver = startReceiver(socket, dir, "ready-" + errno);
        try {
            Cli.Result exec = Cli.run(mode, cli(mode, "exec", "--console-socket", socket.toString(), "--detach", "-t", id, "/bin/true"));
            assertTrue(exec.exitCode() != 0, exec.describe());
            String error = exec.errors().strip();
            assertEquals(1, error.lines().count(), "one line: " + exec.describe());
            assertTrue(error.contains("/dev/pts/ptmx") && error.contains(errno), exec.describe());
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver saw the socket close");
            String received = new String(receiver.getInputStream().readAllBytes());
            assertTrue(!received.contains("fds=1"), "no master was sent: " + received);
        } finally {
            receiver.destroyForcibly();
        }
    }

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
        return startReceiver(socket, dir, "ready");
    }

    private static java.lang.Process startReceiver(Path socket, Path dir, String readyName) throws Exception {
        Path ready = dir.resolve(readyName);
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
