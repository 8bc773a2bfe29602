package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Detached services (issue 10): {@code run --detach} of the built-in default creates and starts the
 * container, prints its id and leaves no launcher; {@code --pid-file} names the init, which is what
 * systemd's {@code Type=forking} + {@code PIDFile=} supervises (no systemd runs as pid 1 on the test
 * machines, so the test plays its part: read the pid file, check the process, send SIGTERM as
 * {@code systemctl stop} does). Output goes to the state directory's log, which {@code logs} prints,
 * follows, and {@code delete} removes with everything else.
 */
class DetachTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static int counter;

    private static String newId(Mode mode) {
        return "detach-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** Global --root first, then the verb and its arguments. */
    private static List<String> cli(Mode mode, String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(mode).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    /** {@code run --detach --id ID FLAGS -- COMMAND}. */
    private static List<String> runDetached(Mode mode, String id, List<String> flags, String... command) {
        List<String> args = cli(mode, "run", "--detach", "--id", id);
        args.addAll(flags);
        args.add("--");
        args.addAll(List.of(command));
        return args;
    }

    /** A directory the mode's user may write its pid file into. */
    private static Path pidFileDirectory() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-detach");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aForkingServiceIsItsPidFilesProcessAndStopsOnTerm(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path dir = pidFileDirectory();
        Path pidFile = dir.resolve("service.pid");
        try {
            // --init: tini is pid 1 and relays SIGTERM to sleep, which dies of it (a bare pid 1 would ignore it).
            // $0 is the id, so tini's command line names the container.
            Cli.Result run = Cli.run(mode, runDetached(mode, id, List.of("--init", "--pid-file", pidFile.toString()),
                    "/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep 1000", id));
            assertEquals(0, run.exitCode(), run.describe());
            assertEquals(id + "\n", run.stdout(), "prints the id, nothing else");

            int pid = Integer.parseInt(Files.readString(pidFile).strip());
            JsonNode state = state(mode, id);
            assertEquals("running", state.get("status").asText(), state.toString());
            assertEquals(pid, state.get("pid").asInt(), "the pid file names the container's init");
            assertTrue(alive(pid), "the init runs: " + procState(pid));
            assertTrue(cmdline(pid).startsWith("/dev/init"), "the pid file's process is the container's init (tini): "
                    + cmdline(pid));
            assertEquals(List.of((long) pid), Containers.processesMentioning(id).stream().filter(DetachTest::aliveLong).toList(),
                    "only the container's init mentions the id: no launcher stays resident");
            assertFalse(cmdline(parentOf(pid)).contains(Cli.COMMAND_LINE_MARKER), "the init's parent is no launcher: " + parentOf(pid));

            Path log = Cli.stateRoot(mode).resolve(id).resolve("container.log");
            awaitTrue(() -> logs(mode, id).equals("to-stdout\nto-stderr\n"), 10_000, "logs shows stdout and stderr");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log, LinkOption.NOFOLLOW_LINKS)));
            int owner = (Integer) Files.getAttribute(log, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            assertEquals(mode == Mode.ROOT ? 0 : Mode.rootlessUid(), owner, "the log belongs to the launching user");
            Cli.Result list = Cli.run(mode, cli(mode, "list"));
            assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains("running")), list.describe());

            SignalsAndExitTest.kill("TERM", pid); // systemctl stop: SIGTERM to the main pid
            awaitTrue(() -> !alive(pid), 10_000, "SIGTERM to the pid file's process stops the container");
            awaitTrue(() -> status(mode, id).equals("stopped"), 10_000, "state shows stopped");
            Cli.Result afterwards = Cli.run(mode, cli(mode, "logs", "--follow", id));
            assertEquals(0, afterwards.exitCode(), afterwards.describe());
            assertEquals("to-stdout\nto-stderr\n", afterwards.stdout(), "the log stays readable after the container exited");

            Cli.Result delete = Cli.run(mode, cli(mode, "delete", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup of " + id + " left");
            Cli.Result gone = Cli.run(mode, cli(mode, "logs", id));
            assertEquals(1, gone.exitCode(), gone.describe());
            assertEquals("bulwark: container \"" + id + "\" does not exist\n", gone.errors());
        } finally {
            forceDelete(mode, id);
            Cli.deleteTree(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void logsFollowsUntilTheContainerStopsAndTails(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            Cli.Result run = Cli.run(mode, runDetached(mode, id, List.of(),
                    "/bin/sh", "-c", "echo first; sleep 2; echo second; echo third >&2", id));
            assertEquals(0, run.exitCode(), run.describe());
            long start = System.nanoTime();
            Cli.Result follow = Cli.run(mode, cli(mode, "logs", "-f", id));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0, follow.exitCode(), follow.describe());
            assertEquals("first\nsecond\nthird\n", follow.stdout(), "everything, up to the container's end");
            assertTrue(millis < 15_000, "-f returns once the workload exits: " + millis + " ms");
            assertEquals("stopped", status(mode, id));

            Cli.Result tail = Cli.run(mode, cli(mode, "logs", "--tail", "2", id));
            assertEquals("second\nthird\n", tail.stdout(), tail.describe());
            assertEquals("", Cli.run(mode, cli(mode, "logs", "-n", "0", id)).stdout());

            assertEquals(0, Cli.run(mode, cli(mode, "delete", id)).exitCode());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            forceDelete(mode, id);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aBundleKeepsTheCallersStdioUnlessAskedToLog(Mode mode) throws Exception {
        mode.assumeAvailable();
        String passthrough = newId(mode);
        String logged = newId(mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "echo bundle-output"));
        Path output = Files.createTempFile(Path.of("/tmp"), "bulwark-it-detach", ".txt");
        Files.setPosixFilePermissions(output, PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            // runc run -d: the workload writes to the caller's stdout; no id printed there, no log.
            List<String> args = cli(mode, "run", "--detach", "--bundle", bundle.toString(), passthrough);
            Cli.Result run = Cli.runWithStdout(mode, List.of(), args, output);
            assertEquals(0, run.exitCode(), run.describe());
            awaitTrue(() -> read(output).equals("bundle-output\n"), 10_000, "the workload's output reaches the caller's stdout");
            Cli.Result noLog = Cli.run(mode, cli(mode, "logs", passthrough));
            assertEquals(1, noLog.exitCode(), noLog.describe());
            assertTrue(noLog.errors().startsWith("bulwark: container " + passthrough + ": has no log;"), noLog.describe());
            assertEquals(1, noLog.errors().lines().count(), noLog.describe());

            Cli.Result withLog = Cli.run(mode, cli(mode, "run", "-d", "--log-driver", "file", "-b", bundle.toString(),
                    "--id", logged));
            assertEquals(0, withLog.exitCode(), withLog.describe());
            assertEquals(logged + "\n", withLog.stdout());
            awaitTrue(() -> status(mode, logged).equals("stopped"), 10_000, "the workload exits");
            assertEquals("bundle-output\n", logs(mode, logged));
        } finally {
            forceDelete(mode, passthrough);
            forceDelete(mode, logged);
            Bundles.delete(bundle);
            Files.deleteIfExists(output);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void badInputIsOneLineAndLeavesNothing(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path dir = pidFileDirectory();
        Path pidFile = dir.resolve("service.pid");
        try {
            assertRefused(mode, runDetached(mode, id, List.of("--pid-file", dir.resolve("missing/service.pid").toString()),
                    "/bin/true"), 125, "bulwark: --pid-file " + dir.resolve("missing/service.pid") + ": directory "
                    + dir.resolve("missing") + " does not exist");
            assertRefused(mode, runDetached(mode, id, List.of("--stop-timeout", "5"), "/bin/true"), 125,
                    "bulwark: --stop-timeout: applies to a foreground run; stop a detached container with kill");
            assertRefused(mode, runDetached(mode, id, List.of("--log-driver", "journald"), "/bin/true"), 125,
                    "bulwark: --log-driver: expected file or passthrough, got \"journald\"");
            assertRefused(mode, cli(mode, "run", "--id", id, "--pid-file", pidFile.toString(), "--", "/bin/true"), 125,
                    "bulwark: --pid-file: applies with --detach (a foreground run's pid is the launcher's own)");
            assertRefused(mode, cli(mode, "logs", id), 1, "bulwark: container \"" + id + "\" does not exist");
            assertRefused(mode, cli(mode, "logs", "--tail", "-3", id), 125, "bulwark: --tail: must be 0 or more, got -3");
            // The command is found missing only at execve, after start: the run still fails as in the foreground.
            assertRefused(mode, runDetached(mode, id, List.of("--pid-file", pidFile.toString()), "/no/such/command"), 127,
                    "bulwark: process.args[0]: /no/such/command not found in the container (execute /no/such/command: "
                            + "ENOENT (No such file or directory))");
            assertFalse(Files.exists(pidFile), "no pid file naming a process that is gone");
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup of " + id + " left");
        } finally {
            forceDelete(mode, id);
            Cli.deleteTree(dir);
        }
    }

    // --- helpers ---

    private static void assertRefused(Mode mode, List<String> args, int status, String line) {
        Cli.Result result = Cli.run(mode, args);
        assertEquals(status, result.exitCode(), result.describe());
        assertEquals(line + "\n", result.errors(), result.describe());
        assertEquals("", result.stdout(), result.describe());
    }

    private static String logs(Mode mode, String id) {
        Cli.Result logs = Cli.run(mode, cli(mode, "logs", id));
        assertEquals(0, logs.exitCode(), logs.describe());
        return logs.stdout();
    }

    private static JsonNode state(Mode mode, String id) throws IOException {
        Cli.Result state = Cli.run(mode, cli(mode, "state", id));
        assertEquals(0, state.exitCode(), state.describe());
        return JSON.readTree(state.stdout());
    }

    private static String status(Mode mode, String id) {
        try {
            return state(mode, id).get("status").asText();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void forceDelete(Mode mode, String id) {
        if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
            Cli.run(mode, cli(mode, "delete", "--force", id));
        }
    }

    private static String procState(int pid) {
        String stat = read(Path.of("/proc", Integer.toString(pid), "stat"));
        return stat.isEmpty() ? "gone" : stat.substring(stat.lastIndexOf(')') + 2).split(" ")[0];
    }

    private static int parentOf(int pid) {
        String stat = read(Path.of("/proc", Integer.toString(pid), "stat"));
        return stat.isEmpty() ? -1 : Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    /** Running: not gone, and not a zombie waiting for whoever adopted it (pid 1 here, systemd under a unit). */
    private static boolean alive(int pid) {
        String state = procState(pid);
        return !state.equals("gone") && !state.equals("Z") && !state.equals("X");
    }

    private static boolean aliveLong(long pid) {
        return alive((int) pid);
    }

    private static String cmdline(int pid) {
        return read(Path.of("/proc", Integer.toString(pid), "cmdline")).replace('\0', ' ');
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, long millis, String what)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out: " + what);
            }
            Thread.sleep(100);
        }
    }
}
