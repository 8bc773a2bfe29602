package dev.bulwark.it;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static dev.bulwark.it.SignalsAndExitTest.awaitOutput;
import static dev.bulwark.it.SignalsAndExitTest.kill;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code run --network} (issue 10): a service in the container reached from the host through pasta and
 * {@code --publish}, root and rootless (python's http.server and busybox httpd); {@code none} has no route;
 * {@code host} is the host's network namespace; {@code ns:PATH} joins one the test makes with unshare; bad
 * input is one line, exit 125, nothing left. Every connection is to 127.0.0.1: no traffic leaves loopback.
 */
class NetworkTest {
    private static final Path PASTA = Path.of("/usr/bin/pasta");
    private static final Path TUN = Path.of("/dev/net/tun");
    private static int counter;

    private static String newId(Mode mode) {
        return "it-net-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    private static List<String> runDefault(Mode mode, String id, List<String> flags, String... command) {
        List<String> args = Containers.runDefault(mode, id, command);
        args.addAll(1, flags);
        return args;
    }

    private static void assumePasta(Mode mode) throws IOException {
        assumeTrue(Files.isExecutable(PASTA), PASTA + " not installed (Debian's passt package; scripts/setup-test-host installs it)");
        if (mode == Mode.ROOTLESS) {
            assumeTrue(tunUsableByOthers(), "rootless pasta needs " + TUN + " mode 0666 (Debian's udev default; "
                    + "scripts/setup-test-host sets it), it is " + java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(TUN)));
        }
    }

    private static boolean tunUsableByOthers() throws IOException {
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(TUN);
        return permissions.contains(PosixFilePermission.OTHERS_READ) && permissions.contains(PosixFilePermission.OTHERS_WRITE);
    }

    /** A port that was free on 127.0.0.1 a moment ago. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    enum Server {
        PYTHON("exec python3 -m http.server 8000 --bind 0.0.0.0 --directory /tmp/www"),
        BUSYBOX("exec busybox httpd -f -p 8000 -h /tmp/www");

        final String command;

        Server(String command) {
            this.command = command;
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pythonHttpServerIsReachedThroughPublish(Mode mode) throws Exception {
        servePublished(mode, Server.PYTHON);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void busyboxHttpdIsReachedThroughPublish(Mode mode) throws Exception {
        servePublished(mode, Server.BUSYBOX);
    }

    private void servePublished(Mode mode, Server server) throws Exception {
        mode.assumeAvailable();
        assumePasta(mode);
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        int port = freePort();
        int second = freePort(); // a second option: pasta takes one address per -t, so each port gets its own
        String page = "served-by-" + id;
        Cli.Running running = Cli.start(mode, runDefault(mode, id, List.of("--network", "pasta", "--publish",
                        port + ":8000", "-p", "127.0.0.1:" + second + ":8000/tcp", "--stop-timeout", "1"),
                "/bin/sh", "-c", "mkdir /tmp/www && echo " + page + " > /tmp/www/index.html && echo ready && " + server.command));
        awaitOutput(running, "ready");
        String body = getWithRetries(port, running);
        assertEquals(page, body.strip(), "the container's page through 127.0.0.1:" + port);
        assertEquals(page, getWithRetries(second, running).strip(), "and through 127.0.0.1:" + second);
        assertEquals(1, Containers.processesMentioning("127.0.0.1/" + port + ":8000").size(), "one pasta for the container");
        kill("TERM", running.process().pid());
        Cli.Result result = running.await(60);
        assertTrue(result.exitCode() == 137 || result.exitCode() == 143 || result.exitCode() == 0, result.describe());
        Containers.assertNothingLeft(mode, id, mountsBefore);
        assertEquals(List.of(), Containers.processesMentioning("127.0.0.1/" + port + ":8000"), "pasta ended with the container");
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)); // pasta's listener is gone
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pastaDiesWithAKilledLauncher(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePasta(mode);
        String id = newId(mode);
        int port = freePort();
        String pastaArgument = "127.0.0.1/" + port + ":8000";
        Cli.Running running = Cli.start(mode, runDefault(mode, id, List.of("--network", "pasta", "--publish", port + ":8000"),
                "/bin/sh", "-c", "echo ready; exec sleep 1000"));
        awaitOutput(running, "ready");
        assertEquals(1, Containers.processesMentioning(pastaArgument).size(), "pasta runs");
        kill("KILL", running.process().pid());
        running.await(60);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Containers.processesMentioning(pastaArgument).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(), Containers.processesMentioning(pastaArgument), "pasta got its parent-death signal");
        while (true) { // its memory goes before its files as it exits: the port is free a moment later
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                break;
            } catch (java.net.BindException e) {
                assertTrue(System.nanoTime() < deadline, "the published port " + port + " is still bound");
                Thread.sleep(20);
            }
        }
        Cli.Result delete = Cli.run(mode, List.of("delete", "--force", id, "--root", Containers.stateRoot(mode).toString()));
        assertEquals(0, delete.exitCode(), "the killed launcher's state is deleted: " + delete.describe());
    }

    /**
     * {@code run --detach} with pasta: the service answers on its published port once run has returned (no
     * launcher stays; pasta daemonised, in a session of its own), and {@code delete --force} ends pasta and
     * frees the port.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDetachedServiceKeepsItsNetworkUntilDelete(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePasta(mode);
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        int port = freePort();
        String pastaArgument = "127.0.0.1/" + port + ":8000";
        String root = Containers.stateRoot(mode).toString();
        try {
            Cli.Result run = Cli.run(mode, List.of("run", "--root", root, "--detach", "--id", id, "--network", "pasta",
                    "-p", "127.0.0.1:" + port + ":8000", "--", "python3", "-m", "http.server", "8000"));
            assertEquals(0, run.exitCode(), run.describe());
            assertEquals(id + "\n", run.stdout(), "run --detach prints the id");
            List<Long> pasta = Containers.processesMentioning(pastaArgument);
            assertEquals(1, pasta.size(), "one pasta outlives the launcher");
            long pastaPid = pasta.get(0);
            assertEquals(pastaPid, sessionOf(pastaPid), "pasta leads a session of its own");
            assertTrue(Files.exists(Containers.stateRoot(mode).resolve(id).resolve("pasta.pid")), "pasta is recorded");
            assertTrue(get(port, 30).contains("Directory listing"), "the service answers through 127.0.0.1:" + port);
            Cli.Result delete = Cli.run(mode, List.of("delete", "--force", id, "--root", root));
            assertEquals(0, delete.exitCode(), delete.describe());
            assertEquals(List.of(), Containers.processesMentioning(pastaArgument), "delete ended pasta");
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)); // pasta's listener is gone
            }
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            if (Files.exists(Containers.stateRoot(mode).resolve(id))) {
                Cli.run(mode, List.of("delete", "--force", id, "--root", root));
            }
        }
    }

    /**
     * {@code create} of a bundle with the pasta annotations: pasta is up while the container is created, serves
     * once it is started, stays while a stopped container is not yet deleted, and goes with {@code delete}.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aCreatedBundleKeepsItsNetworkUntilDelete(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePasta(mode);
        String id = newId(mode);
        int port = freePort();
        String pastaArgument = "127.0.0.1/" + port + ":8000";
        String root = Containers.stateRoot(mode).toString();
        Path bundle = Bundles.create(mode, spec -> HardeningTest.annotate(HardeningTest.annotate(
                Containers.withArgs(spec, "/bin/busybox", "httpd", "-f", "-p", "8000", "-h", "/"),
                "dev.bulwark.network", "pasta"), "dev.bulwark.network.publish", port + ":8000"));
        try {
            Cli.Result create = Cli.run(mode, List.of("--root", root, "create", "--bundle", bundle.toString(), id));
            assertEquals(0, create.exitCode(), create.describe());
            assertEquals(1, Containers.processesMentioning(pastaArgument).size(), "pasta outlives create");
            assertEquals(0, Cli.run(mode, List.of("--root", root, "start", id)).exitCode());
            assertTrue(get(port, "/etc/passwd", 30).startsWith("root:x:0:0:"), "the started container serves through 127.0.0.1:" + port);
            assertEquals(0, Cli.run(mode, List.of("--root", root, "kill", id, "KILL")).exitCode());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Cli.run(mode, List.of("--root", root, "state", id)).stdout().contains("\"stopped\"")) {
                assertTrue(System.nanoTime() < deadline, "the container stops after kill");
                Thread.sleep(50);
            }
            assertEquals(1, Containers.processesMentioning(pastaArgument).size(), "pasta stays until delete");
            Cli.Result delete = Cli.run(mode, List.of("--root", root, "delete", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            assertEquals(List.of(), Containers.processesMentioning(pastaArgument), "delete ended pasta");
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        } finally {
            if (Files.exists(Containers.stateRoot(mode).resolve(id))) {
                Cli.run(mode, List.of("--root", root, "delete", "--force", id));
            }
            Bundles.delete(bundle);
        }
    }

    /**
     * A Ctrl-C at a terminal (SIGINT to the launcher's whole process group) reaches the workload through the
     * launcher, never pasta: the service still answers while the workload's trap finishes, and it exits 0.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void ctrlCStopsTheWorkloadWhilePastaKeepsServing(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePasta(mode);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setsid")), "/usr/bin/setsid (util-linux) not installed");
        String id = newId(mode);
        int port = freePort();
        String pastaArgument = "127.0.0.1/" + port + ":8000";
        // setsid: the launcher leads a new process group, as a shell's foreground job at a terminal does
        Cli.Running running = Cli.start(mode, List.of("/usr/bin/setsid"), runDefault(mode, id,
                List.of("--network", "pasta", "-p", port + ":8000", "--stop-timeout", "20"), "/bin/sh", "-c",
                "mkdir /tmp/www && echo served > /tmp/www/index.html && "
                        + "python3 -m http.server 8000 --directory /tmp/www & "
                        + "trap 'echo got-int; sleep 2; echo leaving; kill $!; exit 0' INT; echo ready; wait; wait"));
        try {
            awaitOutput(running, "ready");
            assertEquals("served", getWithRetries(port, running).strip());
            long launcher = running.process().pid();
            assertEquals(launcher, groupOf(launcher), "the launcher leads its process group");
            List<Long> pasta = Containers.processesMentioning(pastaArgument);
            assertEquals(1, pasta.size(), "pasta runs");
            assertNotEquals(launcher, groupOf(pasta.get(0)), "pasta is outside the launcher's process group");
            Process ctrlC = new ProcessBuilder("kill", "-s", "INT", "--", "-" + launcher).inheritIO().start(); // the whole group
            assertEquals(0, ctrlC.waitFor(), "kill -s INT -- -" + launcher);
            awaitOutput(running, "got-int");
            assertEquals("served", get(port, 1).strip(), "pasta still serves while the workload stops");
            Cli.Result result = running.await(60);
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(result.stdout().contains("leaving"), result.describe());
            assertEquals(List.of(), Containers.processesMentioning(pastaArgument), "pasta ended with the container");
        } finally {
            if (running.process().isAlive()) { // in its own session: nothing else would stop it after a failure
                running.process().destroyForcibly();
                running.process().waitFor();
                Cli.run(mode, List.of("delete", "--force", id, "--root", Containers.stateRoot(mode).toString()));
            }
        }
    }

    /** Field {@code index} of /proc/PID/stat after the command (0 is the state): 2 is the process group, 3 the session. */
    private static long statField(long pid, int index) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[index]);
    }

    private static long groupOf(long pid) throws IOException {
        return statField(pid, 2);
    }

    private static long sessionOf(long pid) throws IOException {
        return statField(pid, 3);
    }

    /** GET http://127.0.0.1:PORT/ (no proxy), retried for up to {@code seconds} while the server starts. */
    private static String get(int port, int seconds) throws Exception {
        return get(port, "/", seconds);
    }

    private static String get(int port, String path, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        IOException last = null;
        do {
            try {
                HttpURLConnection connection = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path)
                        .openConnection(Proxy.NO_PROXY);
                connection.setConnectTimeout(2000);
                connection.setReadTimeout(5000);
                try (InputStream in = connection.getInputStream()) {
                    assertEquals(200, connection.getResponseCode());
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                last = e;
                Thread.sleep(100);
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("127.0.0.1:" + port + " did not answer: " + last);
    }

    /** GET http://127.0.0.1:PORT/ (no proxy), retried while the server starts. */
    private static String getWithRetries(int port, Cli.Running running) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        IOException last = null;
        while (System.nanoTime() < deadline) {
            assertTrue(running.process().isAlive(), "the container ended: " + running.stderrSoFar());
            try {
                HttpURLConnection connection = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/")
                        .openConnection(Proxy.NO_PROXY);
                connection.setConnectTimeout(2000);
                connection.setReadTimeout(5000);
                try (InputStream in = connection.getInputStream()) {
                    assertEquals(200, connection.getResponseCode());
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new AssertionError("127.0.0.1:" + port + " never answered: " + last + "; stderr: " + running.stderrSoFar());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pastaGivesAnInterfaceARouteAndResolvConf(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumePasta(mode);
        String id = newId(mode);
        Cli.Result result = Cli.run(mode, runDefault(mode, id, List.of("--network", "pasta"),
                "/bin/sh", "-c", "cat /proc/net/route; echo ---; cat /etc/resolv.conf"));
        assertEquals(0, result.exitCode(), result.describe());
        String[] parts = result.stdout().split("---\n");
        assertTrue(parts[0].lines().anyMatch(l -> l.split("\\s+").length > 2 && l.split("\\s+")[1].equals("00000000")),
                "a default route: " + parts[0]);
        assertTrue(parts[1].contains("nameserver 169.254.1.1"), "pasta's DNS forwarder: " + parts[1]);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void noneHasOnlyLoopbackAndNoRoute(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Cli.Result result = Cli.run(mode, runDefault(mode, id, List.of("--network", "none"),
                "/bin/sh", "-c", "tail -n +2 /proc/net/route | wc -l; tail -n +3 /proc/net/dev | cut -d: -f1"));
        assertEquals(0, result.exitCode(), result.describe());
        List<String> lines = result.stdout().lines().map(String::strip).toList();
        assertEquals(List.of("0", "lo"), lines, "no route, only lo: " + result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void hostSeesTheHostInterfaces(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Cli.Result result = Cli.run(mode, runDefault(mode, id, List.of("--network", "host"),
                "/bin/sh", "-c", "readlink /proc/self/ns/net; ls /sys/class/net"));
        assertEquals(0, result.exitCode(), result.describe());
        List<String> lines = result.stdout().lines().toList();
        assertEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(), lines.get(0), "the host's network namespace");
        Set<String> hostInterfaces = new TreeSet<>();
        try (var entries = Files.list(Path.of("/sys/class/net"))) {
            entries.forEach(p -> hostInterfaces.add(p.getFileName().toString()));
        }
        assertEquals(hostInterfaces, new TreeSet<>(lines.subList(1, lines.size())), "the host's interfaces");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void nsPathJoinsANetworkNamespaceTheTestMade(Mode mode) throws Exception {
        mode.assumeAvailable();
        List<String> command = new ArrayList<>();
        if (mode == Mode.ROOTLESS) {
            command.addAll(List.of("setpriv", "--reuid=" + Mode.rootlessUid(), "--regid=" + Mode.rootlessGid(), "--clear-groups", "--"));
            command.addAll(List.of("unshare", "--user", "--map-root-user", "--net", "sleep", "600"));
        } else {
            command.addAll(List.of("unshare", "--net", "sleep", "600"));
        }
        Process target = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Path net = Path.of("/proc", Long.toString(target.pid()), "ns", "net");
            String own = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (Files.readSymbolicLink(net).toString().equals(own)
                    || mode == Mode.ROOTLESS && Files.readString(Path.of("/proc", Long.toString(target.pid()), "uid_map")).isBlank()) {
                assertTrue(System.nanoTime() < deadline, "unshare did not start");
                Thread.sleep(20);
            }
            String id = newId(mode);
            Cli.Result result = Cli.run(mode, runDefault(mode, id, List.of("--network", "ns:" + net),
                    "/bin/sh", "-c", "readlink /proc/self/ns/net"));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(Files.readSymbolicLink(net).toString(), result.stdout().strip(), "joined the test's network namespace");
        } finally {
            target.destroyForcibly(); // by pid: only what this test started
            target.waitFor();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void badNetworkInputIsOneLineAndLeavesNothing(Mode mode) throws Exception {
        mode.assumeAvailable();
        List<List<String>> cases = new ArrayList<>(List.of(
                List.of("--network", "wifi"),
                List.of("--publish", "8080:80"),
                List.of("--network", "host", "--publish", "8080:80"),
                List.of("--network", "ns:/etc/hostname")));
        boolean pasta = Files.isExecutable(PASTA);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            if (pasta) {
                cases.add(List.of("--network", "pasta", "--publish", "80"));
                cases.add(List.of("--network", "pasta", "--publish", "1.2.3:8080:80"));
                if (mode == Mode.ROOT || tunUsableByOthers()) { // else the run stops at /dev/net/tun, naming --network
                    cases.add(List.of("--network", "pasta", "--publish", taken.getLocalPort() + ":80"));
                }
            }
            for (List<String> flags : cases) {
                String id = newId(mode);
                Set<String> mountsBefore = Containers.hostMounts();
                Cli.Result result = Cli.run(mode, runDefault(mode, id, flags, "/bin/true"));
                assertEquals(125, result.exitCode(), flags + ": " + result.describe());
                List<String> errors = result.errors().lines().toList();
                assertEquals(1, errors.size(), flags + ": one line: " + result.describe());
                String flag = flags.contains("--publish") ? "--publish" : "--network";
                assertTrue(errors.get(0).startsWith("bulwark: " + flag), flags + ": names " + flag + ": " + errors.get(0));
                if (flags.contains(taken.getLocalPort() + ":80")) {
                    assertTrue(errors.get(0).contains("in use"), errors.get(0));
                }
                Containers.assertNothingLeft(mode, id, mountsBefore);
            }
        }
    }
}
