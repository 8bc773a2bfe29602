package dev.bulwark.it;

import dev.bulwark.config.model.ConsoleSize;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * process.terminal, root and rootless, with real terminals: {@code create --console-socket} hands an engine
 * (here console-receiver.py, the receiving end of runc's contract) the master of a pty made in the
 * container's own devpts, whose peer is the workload's controlling terminal and fds 0-2; {@code run -t}
 * and a bundle run with terminal true relay the launcher's own terminal (a pty pty-run.py makes, as a
 * user's terminal emulator would): tty, window size at start and on SIGWINCH, typed input, exit status.
 * Bad input: runc's checks of terminal against --console-socket, a socket path that is missing or no
 * socket, each one line and exit 125 with nothing left.
 */
class TerminalTest {
    private static int counter;

    private static String newId(String what, Mode mode) {
        return "tty-" + what + "-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void createSendsTheMasterOfAPtyWhosePeerIsTheWorkloadsTerminal(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("create", mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> withTerminal(Containers.withArgs(spec, "/bin/sh", "-c",
                "busybox tty; busybox stty size; [ -t 0 ] && [ -t 1 ] && echo stdin-and-stdout-are-a-tty; "
                        + "ls -l /proc/self/fd/0 /proc/self/fd/2 | grep -c /dev/pts/0; echo ok"), new ConsoleSize(33, 77)));
        Path dir = socketDirectory();
        Path socket = dir.resolve("console.sock");
        java.lang.Process receiver = startReceiver(socket, dir);
        try {
            Cli.Result create = Cli.run(mode, global(mode, "create", "--console-socket", socket.toString(), "--bundle",
                    bundle.toString(), id));
            assertEquals(0, create.exitCode(), create.describe());
            assertEquals(0, Cli.run(mode, global(mode, "start", id)).exitCode());
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver saw the terminal's last holder go");
            String received = new String(receiver.getInputStream().readAllBytes()).replace("\r", "");
            assertTrue(received.startsWith("name=/dev/ptmx\nfds=1\n"), "runc's message: the master's name and one fd: " + received);
            assertTrue(received.contains("\n/dev/pts/0\n"), "the container's own devpts: its first pty: " + received);
            assertTrue(received.contains("\n33 77\n"), "process.consoleSize set before the workload ran: " + received);
            assertTrue(received.contains("stdin-and-stdout-are-a-tty"), received);
            assertTrue(received.contains("\n2\nok\n"), "fds 0 and 2 are the pty: " + received);
            assertTrue(Containers.processesMentioning(id).isEmpty(), "no launcher stays with the terminal");
            assertEquals(0, Cli.run(mode, global(mode, "delete", id)).exitCode());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            receiver.destroyForcibly();
            if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
                Cli.run(mode, global(mode, "delete", "--force", id));
            }
            Bundles.delete(bundle);
            Cli.deleteTree(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runTtyRelaysTheLaunchersTerminalItsSizeAndTheExitStatus(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("run", mode);
        Set<String> mountsBefore = Containers.hostMounts();
        List<String> args = new ArrayList<>(Containers.runDefault(mode, id, "/bin/sh", "-c",
                "trap 'stty size; exit 7' WINCH; tty; stty size; [ -t 0 ] && echo stdin-is-a-tty; echo ready; "
                        + "while true; do sleep 0.1; done"));
        args.add(1, "-t");
        Cli.Result result = Cli.start(mode, ptyRun(21, 87, "ready", 42, 123, ""), args).await(60);
        String output = result.stdout().replace("\r", "");
        assertEquals(7, result.exitCode(), "the workload's status through the terminal: " + result.describe());
        assertTrue(output.contains("\n/dev/pts/0\n") || output.startsWith("/dev/pts/0\n"), output);
        assertTrue(output.contains("\n21 87\n"), "the launcher's window size at start: " + output);
        assertTrue(output.contains("stdin-is-a-tty"), output);
        assertTrue(output.contains("\n42 123\n"), "SIGWINCH passes the new size on: " + output);
        Containers.assertNothingLeft(mode, id, mountsBefore);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aBundleWithTerminalTrueReadsWhatIsTypedAndRestoresTheTerminal(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("bundle", mode);
        Path bundle = Bundles.create(mode, spec -> withTerminal(Containers.withArgs(spec, "/bin/sh", "-c",
                "echo ready; read line; echo \"got=$line\"; exit 3"), null));
        try {
            // After the launcher exits, the shell around it checks that its terminal is back in cooked mode with echo.
            List<String> wrapper = ptyRun(24, 80, "ready", 24, 80, "typed-words\\r");
            wrapper.addAll(List.of("/bin/sh", "-c", "\"$@\"; status=$?; stty -a | grep -o -- '-\\?icanon' | head -1; "
                    + "stty -a | grep -o -- '-\\?echo ' | head -1; exit $status", "sh"));
            Cli.Result result = Cli.start(mode, wrapper, Containers.runBundle(mode, bundle, id)).await(60);
            String output = result.stdout().replace("\r", "");
            assertEquals(3, result.exitCode(), result.describe());
            assertTrue(output.contains("got=typed-words"), "stdin reaches the container's terminal: " + output);
            assertTrue(output.contains("\nicanon\necho \n"), "the launcher's terminal restored: " + output);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void ctrlCTypedOnTheLaunchersTerminalInterruptsTheWorkload(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("ctrl-c", mode);
        // The trap is set before "ready": the shell is the namespace's init, which gets only signals it handles.
        List<String> args = new ArrayList<>(Containers.runDefault(mode, id, "/bin/sh", "-c",
                "trap 'echo got-sigint; exit 5' INT; echo ready; while true; do sleep 0.1; done"));
        args.add(1, "--tty");
        long started = System.nanoTime();
        Cli.Result result = Cli.start(mode, ptyRun(24, 80, "ready", 24, 80, "\\x03"), args).await(60);
        assertEquals(5, result.exitCode(), "^C is a byte to the container's terminal, which sends SIGINT: " + result.describe());
        assertTrue(result.stdout().contains("got-sigint"), result.describe());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(25), "not the end of the sleep");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void badConsoleSocketsAreOneLineAndLeaveNothing(Mode mode) throws Exception {
        mode.assumeAvailable();
        Set<String> mountsBefore = Containers.hostMounts();
        Path withTerminal = Bundles.create(mode, spec -> withTerminal(Containers.withArgs(spec, "/bin/true"), null));
        Path without = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/true"));
        Path dir = socketDirectory();
        Path notASocket = Files.writeString(dir.resolve("plain-file"), "");
        Files.setPosixFilePermissions(notASocket, PosixFilePermissions.fromString("rw-rw-rw-")); // else rootless: EACCES
        try {
            record Case(Path bundle, Path socket, String error) {
            }
            List<Case> cases = List.of(
                    new Case(withTerminal, dir.resolve("missing.sock"),
                            "bulwark: --console-socket: cannot connect to " + dir.resolve("missing.sock") + ": it does not exist"),
                    new Case(withTerminal, notASocket, "bulwark: --console-socket: cannot connect to " + notASocket
                            + ": not a listening unix socket (ECONNREFUSED)"),
                    new Case(withTerminal, null, "bulwark: --console-socket: cannot allocate tty if runc will detach without "
                            + "setting console socket (process.terminal is true)"),
                    new Case(without, dir.resolve("missing.sock"), "bulwark: --console-socket: cannot use console socket if "
                            + "runc will not detach or allocate tty (process.terminal is false)"));
            for (Case c : cases) {
                String id = newId("bad", mode);
                List<String> args = new ArrayList<>(List.of("create", "--bundle", c.bundle().toString()));
                if (c.socket() != null) {
                    args.addAll(List.of("--console-socket", c.socket().toString()));
                }
                args.add(id);
                Cli.Result result = Cli.run(mode, global(mode, args.toArray(String[]::new)));
                assertEquals(125, result.exitCode(), result.describe());
                assertEquals(c.error() + "\n", result.errors(), result.describe());
                Containers.assertNothingLeft(mode, id, mountsBefore);
            }
            Cli.Result detached = Cli.run(mode, global(mode, "run", "--detach", "-t", "--", "/bin/true"));
            assertEquals(125, detached.exitCode(), detached.describe());
            assertTrue(detached.errors().startsWith("bulwark: --tty: a detached run leaves no launcher"), detached.describe());
        } finally {
            Bundles.delete(withTerminal);
            Bundles.delete(without);
            Cli.deleteTree(dir);
        }
    }

    /**
     * A rootfs (an image, or one another container shares and writes) whose /dev is not replaced by a tmpfs nor
     * /dev/pts by a devpts: a symlink planted at /dev/pts/ptmx is never followed (openat2 without symlinks: ELOOP),
     * so the child opens nothing it points to; create is refused with one line and leaves nothing.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aSymlinkAtDevPtsPtmxInTheRootfsIsRefused(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePython();
        String id = newId("planted", mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> withTerminal(Containers.withArgs(spec, "/bin/true"), null).withMounts(
                spec.mounts().stream().filter(m -> !m.destination().equals("/dev") && !m.destination().startsWith("/dev/")).toList()));
        Path rootfs = bundle.resolve("rootfs");
        Files.writeString(rootfs.resolve("victim"), "untouched");
        Files.createDirectories(rootfs.resolve("dev/pts"));
        Files.createSymbolicLink(rootfs.resolve("dev/pts/ptmx"), Path.of("/victim"));
        // the child makes /dev's nodes and links in the rootfs itself; rootless, its root may not own the directory
        Files.setPosixFilePermissions(rootfs.resolve("dev"), PosixFilePermissions.fromString("rwxrwxrwx"));
        var rootfsAttributes = Files.readAttributes(rootfs, java.nio.file.attribute.PosixFileAttributes.class);
        for (Path planted : List.of(rootfs.resolve("victim"), rootfs.resolve("dev/pts"), rootfs.resolve("dev/pts/ptmx"))) {
            var view = Files.getFileAttributeView(planted, java.nio.file.attribute.PosixFileAttributeView.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS); // the rootfs's owner (the rootless user's, in rootless mode)
            view.setOwner(rootfsAttributes.owner());
            view.setGroup(rootfsAttributes.group());
        }
        Path dir = socketDirectory();
        Path socket = dir.resolve("console.sock");
        java.lang.Process receiver = startReceiver(socket, dir);
        try {
            Cli.Result create = Cli.run(mode, global(mode, "create", "--console-socket", socket.toString(), "--bundle",
                    bundle.toString(), id));
            assertTrue(create.exitCode() != 0, create.describe());
            List<String> errors = create.errors().lines().filter(l -> !l.startsWith("bulwark: warning:")).toList();
            assertEquals(1, errors.size(), "one line: " + create.describe());
            String error = errors.get(0);
            assertTrue(error.contains("/dev/pts/ptmx") && error.contains("ELOOP"), create.describe());
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver saw the socket close");
            assertTrue(!new String(receiver.getInputStream().readAllBytes()).contains("fds=1"), "no master was sent");
            assertEquals("untouched", Files.readString(rootfs.resolve("victim")));
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            receiver.destroyForcibly();
            if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
                Cli.run(mode, global(mode, "delete", "--force", id));
            }
            Bundles.delete(bundle);
            Cli.deleteTree(dir);
        }
    }

    @Test
    void runTtyHelpNamesTheFlag() {
        Cli.Result help = Cli.run(Mode.ROOT, List.of("run", "--help"));
        assertEquals(0, help.exitCode(), help.describe());
        assertTrue(help.stdout().contains("-t, --tty"), help.stdout());
    }

    private static Spec withTerminal(Spec spec, ConsoleSize size) {
        Process p = spec.process();
        return spec.withProcess(new Process(true, size, p.user(), p.args(), p.commandLine(), p.env(), p.cwd(), p.capabilities(),
                p.rlimits(), p.noNewPrivileges(), p.apparmorProfile(), p.oomScoreAdj(), p.scheduler(), p.selinuxLabel(),
                p.ioPriority()));
    }

    private static List<String> global(Mode mode, String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(mode).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    private static void assumePython() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 (3.9+, for socket.recv_fds and pty) is needed: "
                + "Debian's python3 package");
    }

    /** A directory the rootless launcher can reach (the socket itself is made world-writable by the receiver). */
    private static Path socketDirectory() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-console");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
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

    /** pty-run.py as a wrapper (run as root before any switch to the rootless user): the launcher's terminal. */
    private static List<String> ptyRun(int rows, int columns, String marker, int rows2, int columns2, String typed)
            throws URISyntaxException {
        return new ArrayList<>(List.of("/usr/bin/python3", resource("pty-run.py"), Integer.toString(rows), Integer.toString(columns),
                marker, Integer.toString(rows2), Integer.toString(columns2), typed, "40", "--"));
    }

    private static String resource(String name) throws URISyntaxException {
        return Path.of(TerminalTest.class.getResource("/" + name).toURI()).toString();
    }
}
