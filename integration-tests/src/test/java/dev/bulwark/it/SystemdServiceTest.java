package dev.bulwark.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.bulwark.it.SignalsAndExitTest.awaitOutput;
import static dev.bulwark.it.SignalsAndExitTest.kill;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real service under systemd (issue 10, sockets and readiness): socket activation passed through
 * (systemd-socket-activate's listening socket served by a container whose network namespace could never
 * open it), --preserve-fds, NOTIFY_SOCKET relayed from the launcher (systemd-notify in the container), and
 * the unit {@code bulwark systemd-unit} prints, run from its ExecStart line and stopped as systemd stops it.
 */
class SystemdServiceTest {
    private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");
    private static final Path SYSTEMD_NOTIFY = Path.of("/usr/bin/systemd-notify");
    /** A host-side NOTIFY_SOCKET: prints one line per datagram, "pid=P uid=U: message" (SCM_CREDENTIALS). */
    private static final String LISTENER = String.join("\n",
            "import socket, os, sys, struct",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
            "s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)",
            "print('listening', flush=True)",
            "while True:",
            "    msg, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(12))",
            "    pid = uid = None",
            "    for level, kind, data in anc:",
            "        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:",
            "            pid, uid, gid = struct.unpack('iII', data)",
            "    print('pid=%s uid=%s: %s' % (pid, uid, msg.decode().replace(chr(10), '|')), flush=True)");
    private static int counter;

    private Path scratch;
    private Process listener;
    private Path listenerOut;

    @BeforeEach
    void makeScratch() throws IOException {
        // reachable by the rootless user: the notify socket, files it passes on, the unit's wrapper script
        scratch = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-systemd",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (listener != null) {
            listener.destroy();
            listener.waitFor();
        }
        Cli.deleteTree(scratch);
    }

    private static String newId(Mode mode) {
        return "systemd-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    @ParameterizedTest
    @CsvSource({"ROOT, false", "ROOTLESS, false", "ROOT, true", "ROOTLESS, true"})
    void socketActivationServesASocketTheContainerCouldNeverOpen(Mode mode, boolean init) throws Exception {
        mode.assumeAvailable();
        assumeTrue(Files.isExecutable(SOCKET_ACTIVATE), "systemd-socket-activate missing: install Debian's systemd package");
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        int port = freePort();
        String serve = String.join("; ",
                "import os, socket",
                "s = socket.socket(fileno=3)",
                "c, _ = s.accept()",
                "nets = sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:])",
                "c.sendall(('pid=%d LISTEN_PID=%s LISTEN_FDS=%s LISTEN_FDNAMES=%s nets=%s' % (os.getpid(), "
                        + "os.environ.get('LISTEN_PID'), os.environ.get('LISTEN_FDS'), os.environ.get('LISTEN_FDNAMES'), "
                        + "','.join(nets))).encode())",
                "c.close()");
        List<String> args = Containers.runDefault(mode, id, "python3", "-c", serve);
        if (init) {
            args.add(1, "--init");
        }
        Cli.Running running = Cli.startKeeping(mode, List.of(SOCKET_ACTIVATE.toString(), "-l", "127.0.0.1:" + port,
                "--fdname=web"), args, List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"));
        String reply;
        try {
            reply = requestFrom(port, running);
        } finally {
            stopIfAlive(running); // a failed connection leaves systemd-socket-activate listening
        }
        Cli.Result result = running.await(60);
        int pid = init ? 2 : 1; // the workload's pid in its namespace: pid 1, or tini's first child
        assertEquals("pid=" + pid + " LISTEN_PID=" + pid + " LISTEN_FDS=1 LISTEN_FDNAMES=web nets=lo", reply,
                "the container served the host's listening socket, with only loopback of its own: " + result.describe());
        assertEquals(0, result.exitCode(), result.describe());
        Containers.assertNothingLeft(mode, id, mountsBefore);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aBundleGetsTheListeningSocketAndTheNotifySocketToo(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumeTrue(Files.isExecutable(SOCKET_ACTIVATE), "systemd-socket-activate missing: install Debian's systemd package");
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c",
                "echo LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID NOTIFY_SOCKET=$NOTIFY_SOCKET; readlink /proc/self/fd/3; "
                        + "ls -l $NOTIFY_SOCKET"));
        try {
            String id = newId(mode);
            Set<String> mountsBefore = Containers.hostMounts();
            int port = freePort();
            Path socket = startListener();
            Cli.Running running = Cli.startKeeping(mode, List.of(SOCKET_ACTIVATE.toString(), "-E", "NOTIFY_SOCKET=" + socket,
                    "-l", "127.0.0.1:" + port), Containers.runBundle(mode, bundle, id), List.of("LISTEN_FDS", "LISTEN_PID",
                    "NOTIFY_SOCKET"));
            Cli.Result result;
            try (Socket client = connect(port, running)) { // the connection starts the service; it only looks at fd 3
                result = running.await(60);
            } finally {
                stopIfAlive(running); // a failed connection leaves systemd-socket-activate listening
            }
            assertEquals(0, result.exitCode(), result.describe());
            List<String> lines = result.stdout().lines().toList();
            assertEquals("LISTEN_FDS=1 LISTEN_PID=1 NOTIFY_SOCKET=/dev/notify.sock", lines.get(0), result.describe());
            assertTrue(lines.get(1).startsWith("socket:["), result.describe());
            assertTrue(lines.get(2).startsWith("s"), "a socket: " + result.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void preserveFdsPassesTheInheritedFdsAndNoOther(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Path three = Files.writeString(scratch.resolve("three"), "three\n");
        Path four = Files.writeString(scratch.resolve("four"), "four\n");
        Files.setPosixFilePermissions(three, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(four, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> opened = List.of("sh", "-c", "exec \"$@\" 3<" + three + " 4<" + four, "sh");
        List<String> args = Containers.runDefault(mode, id, "/bin/sh", "-c",
                "cat <&3; if [ -e /proc/self/fd/4 ]; then echo fd 4 leaked; else echo fd 4 closed; fi");
        args.addAll(1, List.of("--preserve-fds", "1"));
        Cli.Result one = Cli.startKeeping(mode, opened, args, List.of()).await(60);
        assertEquals(0, one.exitCode(), one.describe());
        assertEquals("three\nfd 4 closed\n", one.stdout(), one.describe());

        args = Containers.runDefault(mode, newId(mode), "/bin/sh", "-c", "cat <&3; cat <&4");
        args.addAll(1, List.of("--preserve-fds", "2"));
        Cli.Result two = Cli.startKeeping(mode, opened, args, List.of()).await(60);
        assertEquals(0, two.exitCode(), two.describe());
        assertEquals("three\nfour\n", two.stdout(), two.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void preserveFdsRefusesFdsTheLauncherDidNotInherit(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path three = Files.writeString(scratch.resolve("three"), "three\n");
        Files.setPosixFilePermissions(three, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> opened = List.of("sh", "-c", "exec \"$@\" 3<" + three, "sh");
        Path bundle = Bundles.create(mode, spec -> spec);
        for (List<String> flags : List.of(List.of("--preserve-fds", "2"), List.of("--preserve-fds", "-1"))) {
            for (String verb : List.of("run", "create")) {
                String id = newId(mode);
                Set<String> mountsBefore = Containers.hostMounts();
                List<String> args = verb.equals("run") ? Containers.runDefault(mode, id, "true")
                        : new ArrayList<>(List.of("create", "--bundle", bundle.toString(), "--root",
                        Containers.stateRoot(mode).toString(), id));
                args.addAll(1, flags);
                Cli.Result result = Cli.startKeeping(mode, opened, args, List.of()).await(60);
                assertEquals(125, result.exitCode(), verb + " " + flags + ": " + result.describe());
                assertEquals(1, result.errors().lines().count(), "one line: " + result.describe());
                assertTrue(result.errors().startsWith("bulwark: --preserve-fds: "), result.describe());
                Containers.assertNothingLeft(mode, id, mountsBefore);
            }
        }
        Bundles.delete(bundle);
        // without any inherited fd, fd 3 is the JVM's own (its modules file), or not open at all (the native
        // launcher opens no file at start-up): never passed on
        Cli.Result own = Cli.run(mode, List.of("run", "--preserve-fds", "1", "--root", Containers.stateRoot(mode).toString(),
                "--", "true"));
        assertEquals(125, own.exitCode(), own.describe());
        assertTrue(own.errors().matches("bulwark: --preserve-fds: fd 3 is the launcher's own \\(.*\\), not one it inherited\n")
                || own.errors().equals("bulwark: --preserve-fds: fd 3 is not open in the launcher (--preserve-fds 1 passes fds 3..3)\n"),
                own.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void notifyMessagesReachSystemdFromTheLauncher(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumeTrue(Files.isExecutable(SYSTEMD_NOTIFY), "systemd-notify missing: install Debian's systemd package");
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path socket = startListener();
        Cli.Running running = Cli.start(mode, Containers.runDefault(mode, id, "/bin/sh", "-c",
                "echo NOTIFY_SOCKET=$NOTIFY_SOCKET; systemd-notify --ready --status=serving; systemd-notify MAINPID=1 STATUS=again"),
                Map.of("NOTIFY_SOCKET", socket.toString()));
        Cli.Result result = running.await(60);
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().contains("NOTIFY_SOCKET=/run/notify/notify.sock"), result.describe());
        long launcher = running.process().pid();
        int uid = mode == Mode.ROOT ? 0 : Mode.rootlessUid();
        List<String> received = awaitMessages(2);
        // from the launcher (systemd's main process, NotifyAccess=main), MAINPID dropped: the launcher stays main
        assertEquals(List.of("pid=" + launcher + " uid=" + uid + ": READY=1|STATUS=serving",
                "pid=" + launcher + " uid=" + uid + ": STATUS=again"), received, result.describe());
        Containers.assertNothingLeft(mode, id, mountsBefore);
    }

    @org.junit.jupiter.api.Test
    void anotherHostUserCannotSpeakForTheService() throws Exception {
        Mode.ROOTLESS.assumeAvailable(); // root runs the container; the rootless test user is the outsider
        assumeTrue(Files.isExecutable(SYSTEMD_NOTIFY), "systemd-notify missing: install Debian's systemd package");
        String id = newId(Mode.ROOT);
        Path socket = startListener();
        Cli.Running running = Cli.start(Mode.ROOT, Containers.runDefault(Mode.ROOT, id, "/bin/sh", "-c",
                "echo up; sleep 3; systemd-notify STATUS=inside"), Map.of("NOTIFY_SOCKET", socket.toString()));
        awaitOutput(running, "up");
        Path relayed = Containers.stateRoot(Mode.ROOT).resolve(id).resolve("notify.sock"); // 0666, in a 0711 directory
        List<String> spoof = new ArrayList<>(Cli.setpriv());
        spoof.addAll(List.of("/usr/bin/python3", "-c", "import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
                + "s.sendto(b'STOPPING=1', sys.argv[1]); print('sent')", relayed.toString()));
        Process outsider = new ProcessBuilder(spoof).redirectErrorStream(true).start();
        String said = new String(outsider.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, outsider.waitFor(), "the outsider reached the relay's socket: " + said);
        Cli.Result result = running.await(60);
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals(List.of("pid=" + running.process().pid() + " uid=0: STATUS=inside"), awaitMessages(1), result.describe());
        assertTrue(result.stderr().contains("NOTIFY_SOCKET: dropped a message from host uid " + Mode.rootlessUid()),
                result.describe());
    }

    /** @param trapsTerm the workload exits on SIGTERM (status 3); else it ignores it (pid 1 without a handler) */
    @ParameterizedTest
    @CsvSource({"ROOT, true", "ROOTLESS, true", "ROOT, false", "ROOTLESS, false"})
    void theUnitsExecStartRunsAndStopsAsSystemdWould(Mode mode, boolean trapsTerm) throws Exception {
        mode.assumeAvailable();
        assumeTrue(Files.isExecutable(SYSTEMD_NOTIFY), "systemd-notify missing: install Debian's systemd package");
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bulwark = wrapperScript();
        String workload = (trapsTerm ? "trap 'echo stopping; exit 3' TERM; " : "")
                + "echo 'up 100% $HOME'; systemd-notify --ready; "
                + (trapsTerm ? "while :; do sleep 0.2; done" : "exec sleep 1000");
        Cli.Result printed = Cli.run(mode, List.of("systemd-unit", "--bulwark", bulwark.toString(), "--notify",
                "--stop-timeout", "4", "--id", id, "--root", Containers.stateRoot(mode).toString(), "--env", "GREETING=a b\"c",
                "--", "/bin/sh", "-c", workload));
        assertEquals(0, printed.exitCode(), printed.describe());
        Map<String, String> service = settings(printed.stdout(), "Service");
        assertEquals("notify", service.get("Type"), printed.stdout());
        assertEquals("mixed", service.get("KillMode"), printed.stdout());
        assertEquals("9", service.get("TimeoutStopSec"), "stop timeout 4 s plus a margin: " + printed.stdout());
        assertNull(service.get("ExecStop"), "no ExecStop: stopping works by SIGTERM");
        List<String> argv = SystemdQuoting.execStart(service.get("ExecStart"));
        assertEquals(List.of(bulwark.toString(), "run"), argv.subList(0, 2), printed.stdout());
        assertEquals(List.of("--", "/bin/sh", "-c", workload), argv.subList(argv.indexOf("--"), argv.size()), printed.stdout());
        assertTrue(argv.contains("--env=GREETING=a b\"c"), printed.stdout());

        Path socket = startListener();
        List<String> command = new ArrayList<>();
        if (mode == Mode.ROOTLESS) { // a user unit: the user's own service manager starts it
            command.addAll(Cli.setpriv());
            command.addAll(List.of("env", "HOME=/tmp", "NOTIFY_SOCKET=" + socket));
        }
        command.addAll(argv);
        ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of(service.get("WorkingDirectory")).toFile())
                .redirectErrorStream(true).redirectOutput(scratch.resolve("service.log").toFile());
        builder.environment().put("NOTIFY_SOCKET", socket.toString());
        Process main = builder.start();
        try {
            List<String> ready = awaitMessages(1);
            assertEquals(List.of("pid=" + main.pid() + " uid=" + (mode == Mode.ROOT ? 0 : Mode.rootlessUid()) + ": READY=1"),
                    ready, "READY=1 from the main process");
            long start = System.nanoTime();
            kill("TERM", main.pid()); // systemctl stop with KillMode=mixed: SIGTERM to the main process only
            assertTrue(main.waitFor(Long.parseLong(service.get("TimeoutStopSec")), java.util.concurrent.TimeUnit.SECONDS),
                    "exited within TimeoutStopSec");
            long millis = (System.nanoTime() - start) / 1_000_000;
            String log = Files.readString(scratch.resolve("service.log"));
            assertTrue(log.contains("up 100% $HOME"), "a percent sign and $HOME reach the workload's shell as written: " + log);
            if (trapsTerm) {
                assertEquals(3, main.exitValue(), "the workload's own status (its TERM trap): " + log);
                assertTrue(log.contains("stopping"), log);
            } else { // killed by the launcher at --stop-timeout, before systemd's TimeoutStopSec would SIGKILL everything
                assertEquals(137, main.exitValue(), log);
                assertTrue(millis >= 3_900, "not before the stop timeout: " + millis + " ms");
            }
            System.out.printf("SystemdServiceTest: %s, traps TERM %s: unit stopped %d ms after SIGTERM (TimeoutStopSec %s s)%n",
                    mode, trapsTerm, millis, service.get("TimeoutStopSec"));
        } finally {
            main.destroyForcibly();
            main.waitFor();
        }
        Containers.assertNothingLeft(mode, id, mountsBefore);

        Cli.Result exec = Cli.run(mode, List.of("systemd-unit", "--bulwark", bulwark.toString(), "--", "sleep", "1"));
        assertEquals("exec", settings(exec.stdout(), "Service").get("Type"), exec.describe());
        assertEquals("15", settings(exec.stdout(), "Service").get("TimeoutStopSec"), "default stop timeout 10 s + 5");
        Cli.Result detached = Cli.run(mode, List.of("systemd-unit", "--bulwark", bulwark.toString(), "-d", "-b", "x"));
        assertEquals(125, detached.exitCode(), detached.describe());
        assertTrue(detached.errors().startsWith("bulwark: --detach: "), detached.describe());
        Cli.Result unknown = Cli.run(mode, List.of("systemd-unit", "--bulwark", bulwark.toString(), "--no-such-flag", "--", "true"));
        assertEquals(125, unknown.exitCode(), unknown.describe());
    }

    /** The settings of one section of a unit (the last value of each key). */
    private static Map<String, String> settings(String unit, String section) {
        Map<String, String> values = new java.util.HashMap<>();
        String current = null;
        for (String line : unit.lines().toList()) {
            if (line.startsWith("[")) {
                current = line.substring(1, line.length() - 1);
            } else if (section.equals(current) && line.contains("=") && !line.startsWith("#")) {
                values.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return values;
    }

    /** An executable that starts this build's CLI, standing for bin/bulwark (which needs scripts/build). */
    private Path wrapperScript() throws IOException {
        StringBuilder script = new StringBuilder("#!/bin/sh\nexec");
        for (String word : Cli.launcherCommand()) {
            script.append(" '").append(word.replace("'", "'\\''")).append('\'');
        }
        Path wrapper = scratch.resolve("bulwark");
        Files.writeString(wrapper, script.append(" \"$@\"\n").toString());
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        return wrapper;
    }

    private Path startListener() throws Exception {
        Path socket = scratch.resolve("notify.sock");
        listenerOut = scratch.resolve("listener.out");
        listener = new ProcessBuilder("python3", "-c", LISTENER, socket.toString()).redirectErrorStream(true)
                .redirectOutput(listenerOut.toFile()).start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!Files.readString(listenerOut).contains("listening")) {
            assertTrue(listener.isAlive() && System.currentTimeMillis() < deadline, "listener: " + Files.readString(listenerOut));
            Thread.sleep(20);
        }
        return socket;
    }

    private List<String> awaitMessages(int count) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            List<String> messages = Files.readString(listenerOut).lines().filter(l -> l.startsWith("pid=")).toList();
            if (messages.size() >= count || System.currentTimeMillis() > deadline) {
                return messages;
            }
            Thread.sleep(20);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /**
     * Kills a launcher that is still up (systemd-socket-activate waiting for a connection that never came)
     * so that no process outlives a failed test; a launcher that is ending gets 60 s.
     */
    private static void stopIfAlive(Cli.Running running) throws InterruptedException {
        if (running.process().isAlive() && !running.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            running.process().destroyForcibly();
            running.process().waitFor();
        }
    }

    /** Connects (retrying until systemd-socket-activate listens) and reads the container's whole reply. */
    private static String requestFrom(int port, Cli.Running running) throws Exception {
        try (Socket socket = connect(port, running)) {
            socket.setSoTimeout(30_000);
            try (InputStream in = socket.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    /** A connection to 127.0.0.1:{@code port}, retried until systemd-socket-activate listens there. */
    private static Socket connect(int port, Cli.Running running) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return socket;
            } catch (java.net.ConnectException e) {
                socket.close();
                if (!running.process().isAlive() || System.currentTimeMillis() > deadline) {
                    fail("nothing listens on port " + port + ": " + running.stderrSoFar());
                }
                Thread.sleep(50);
            }
        }
    }
}
