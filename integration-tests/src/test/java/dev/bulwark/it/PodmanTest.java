package dev.bulwark.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's Podman 4.3 (with conmon) runs its containers with {@code --runtime} Bulwark, end to end, as root and
 * rootless (user bulwark-test with /etc/subuid and /etc/subgid entries from scripts/setup-test-host): the image is
 * imported offline from a static-busybox root, storage and state live in a private temp directory
 * ({@link PodmanEngine}), and after each test nothing is left: no container, conmon, Bulwark state directory or
 * mount. Runs use {@code --cgroups=disabled} (no cgroup for conmon or the container: this host's v1 hierarchies are
 * not ours); one root test shows the other way, a private mount namespace where /sys/fs/cgroup is the v2 hierarchy.
 */
class PodmanTest {
    private static final String BUSYBOX_ROOT_APPLETS = "busybox";
    private static Path imageDir;
    private static final Map<Mode, PodmanEngine> ENGINES = new EnumMap<>(Mode.class);

    @BeforeAll
    static void makeImage() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(PodmanEngine.PODMAN), "podman is not installed (scripts/setup-test-host installs podman)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/conmon")), "conmon is not installed (scripts/setup-test-host installs conmon)");
        Bundles.assumeBusybox();
        imageDir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-podman-image",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path rootfs = imageDir.resolve("rootfs");
        for (String d : List.of("bin", "etc", "tmp", "proc", "sys", "dev", "root")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(Bundles.BUSYBOX, rootfs.resolve("bin/busybox"));
        Process list = new ProcessBuilder(Bundles.BUSYBOX.toString(), "--list").start();
        for (String applet : new String(list.getInputStream().readAllBytes()).split("\n")) {
            if (!applet.isBlank() && !applet.equals(BUSYBOX_ROOT_APPLETS)) { // a link named busybox would replace the binary
                Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet.strip()), Path.of("busybox"));
            }
        }
        assertEquals(0, list.waitFor());
        Process tar = new ProcessBuilder("tar", "-C", rootfs.toString(), "-cf", imageDir.resolve("busybox.tar").toString(), ".")
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes());
        assertEquals(0, tar.waitFor(), out);
        Files.setPosixFilePermissions(imageDir.resolve("busybox.tar"), PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    static void removeEngines() {
        try {
            ENGINES.values().forEach(PodmanEngine::close);
        } finally {
            ENGINES.clear();
            if (imageDir != null) {
                Cli.deleteTree(imageDir);
            }
        }
    }

    @AfterEach
    void nothingLeft() {
        for (PodmanEngine engine : ENGINES.values()) {
            engine.assertNothingLeft();
        }
    }

    private static PodmanEngine engine(Mode mode) {
        mode.assumeAvailable();
        if (mode == Mode.ROOTLESS) {
            assumeTrue(hasSubordinateIds("/etc/subuid") && hasSubordinateIds("/etc/subgid"),
                    "rootless Podman needs /etc/subuid and /etc/subgid entries for " + Mode.ROOTLESS_USER + " (scripts/setup-test-host)");
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/newuidmap")), "rootless Podman needs newuidmap (package uidmap)");
        }
        return ENGINES.computeIfAbsent(mode, m -> PodmanEngine.start(m, imageDir.resolve("busybox.tar")));
    }

    private static boolean hasSubordinateIds(String file) {
        try {
            return Files.readAllLines(Path.of(file)).stream().anyMatch(l -> l.startsWith(Mode.ROOTLESS_USER + ":"));
        } catch (IOException e) {
            return false;
        }
    }

    private static String[] run(String... args) {
        List<String> all = new ArrayList<>(List.of("run"));
        all.addAll(PodmanEngine.RUN_FLAGS);
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runPrintsExactlyAndPassesExitCodesThrough(Mode mode) {
        PodmanEngine podman = engine(mode);
        PodmanEngine.Result hi = podman.podman(120, run("--rm", PodmanEngine.IMAGE, "echo", "hi"));
        assertEquals(0, hi.exitCode(), hi.describe());
        assertEquals("hi\n", hi.stdout(), hi.describe());
        PodmanEngine.Result seven = podman.podman(120, run("--rm", PodmanEngine.IMAGE, "sh", "-c", "exit 7"));
        assertEquals(7, seven.exitCode(), seven.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void detachedContainerLivesThroughPsExecLogsStopRestartKillAndRm(Mode mode) throws InterruptedException {
        PodmanEngine podman = engine(mode);
        String name = "it-life-" + mode.name().toLowerCase();
        PodmanEngine.Result started = podman.podman(120, run("-d", "--name", name, PodmanEngine.IMAGE, "sh", "-c",
                "echo started; trap 'echo got-term; exit 3' TERM; while :; do sleep 0.2; done"));
        assertEquals(0, started.exitCode(), started.describe());
        assertTrue(started.stdout().strip().matches("[0-9a-f]{64}"), "run -d prints the id: " + started.describe());
        awaitLog(podman, name, "started");

        PodmanEngine.Result ps = podman.podman(60, "ps", "--format", "{{.Names}} {{.Status}}");
        assertTrue(ps.stdout().lines().anyMatch(l -> l.startsWith(name + " Up")), "podman ps: " + ps.describe());

        PodmanEngine.Result exec = podman.podman(60, "exec", name, "sh", "-c", "echo in-exec; cat /proc/1/cmdline | tr '\\0' ' '; exit 5");
        assertEquals(5, exec.exitCode(), "the exec'd process's status: " + exec.describe());
        assertTrue(exec.stdout().startsWith("in-exec\nsh -c echo started"), "exec joins the container (pid 1 is its init): " + exec.describe());

        PodmanEngine.Result stop = podman.podman(60, "stop", "--time", "10", name);
        assertEquals(0, stop.exitCode(), stop.describe());
        assertTrue(stop.millis() < 10_000, "SIGTERM reached the workload, which exited before the 10 s timeout: " + stop.describe());
        assertEquals("3", inspect(podman, name, "{{.State.ExitCode}}"), "its exit status reached Podman");
        awaitLog(podman, name, "got-term");

        PodmanEngine.Result restart = podman.podman(120, "restart", "--time", "10", name);
        assertEquals(0, restart.exitCode(), restart.describe());
        assertEquals("running", inspect(podman, name, "{{.State.Status}}"));
        awaitLogCount(podman, name, "started", 2);

        PodmanEngine.Result kill = podman.podman(60, "kill", name);
        assertEquals(0, kill.exitCode(), kill.describe());
        awaitStatus(podman, name, "exited");
        assertEquals("137", inspect(podman, name, "{{.State.ExitCode}}"), "podman kill sends SIGKILL; its status reached Podman");

        PodmanEngine.Result rm = podman.podman(60, "rm", name);
        assertEquals(0, rm.exitCode(), rm.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readOnlyRootGetsPodmansTmpfsMounts(Mode mode) {
        PodmanEngine podman = engine(mode);
        // --read-only adds tmpfs on /tmp, /var/tmp and /run with "tmpcopyup": the image's directories are empty
        PodmanEngine.Result readOnly = podman.podman(120, run("--rm", "--read-only", PodmanEngine.IMAGE, "sh", "-c",
                "touch /tmp/a /var/tmp/b /run/c && echo wrote; touch /x"));
        assertEquals(1, readOnly.exitCode(), readOnly.describe());
        assertEquals("wrote\n", readOnly.stdout(), readOnly.describe());
        assertTrue(readOnly.stderr().contains("Read-only file system"), readOnly.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stopKillsAWorkloadThatIgnoresTermWhenTheTimeoutEnds(Mode mode) {
        PodmanEngine podman = engine(mode);
        String name = "it-stop-" + mode.name().toLowerCase();
        PodmanEngine.Result started = podman.podman(120, run("-d", "--name", name, PodmanEngine.IMAGE, "sleep", "1000"));
        assertEquals(0, started.exitCode(), started.describe());
        PodmanEngine.Result stop = podman.podman(60, "stop", "--time", "2", name); // pid 1 has no SIGTERM handler
        assertEquals(0, stop.exitCode(), stop.describe());
        assertTrue(stop.millis() >= 2_000 && stop.millis() < 15_000, "SIGKILL after the 2 s timeout: " + stop.describe());
        assertEquals("137", inspect(podman, name, "{{.State.ExitCode}}"));
        assertEquals(0, podman.podman(60, "rm", name).exitCode());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runWithTerminalGivesTheWorkloadAPty(Mode mode) {
        PodmanEngine podman = engine(mode);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "script (package bsdutils) gives podman a terminal");
        PodmanEngine.Result tty = underScript(podman.command(List.of(run("--rm", "-t", PodmanEngine.IMAGE, "sh", "-c", "tty; exit 4"))));
        assertEquals(4, tty.exitCode(), tty.describe());
        assertTrue(tty.stdout().strip().matches("/dev/pts/\\d+"), "the workload's stdin is a pty of the container's devpts: " + tty.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void execWithTerminalGivesTheProcessAPty(Mode mode) {
        PodmanEngine podman = engine(mode);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "script (package bsdutils) gives podman a terminal");
        String name = "it-exec-tty-" + mode.name().toLowerCase();
        assertEquals(0, podman.podman(120, run("-d", "--name", name, PodmanEngine.IMAGE, "sleep", "1000")).exitCode());
        PodmanEngine.Result tty = underScript(podman.command(List.of("exec", "-t", name, "tty")));
        assertEquals(0, tty.exitCode(), tty.describe());
        assertTrue(tty.stdout().strip().matches("/dev/pts/\\d+"), tty.describe());
    }

    /**
     * The other way to keep Podman off the v1 hierarchies: a private mount namespace where the (controller-less) v2
     * hierarchy is /sys/fs/cgroup, so Podman sees pure cgroup v2 and puts conmon in a v2 cgroup. Podman's default pids
     * limit (2048) cannot be applied there, and the refusal names it; {@code --pids-limit=-1} is the one flag to pass.
     */
    @Test
    void cgroupV2MountNamespaceNeedsOnlyThePidsLimitFlag() {
        PodmanEngine podman = engine(Mode.ROOT);
        Path unified = Path.of("/sys/fs/cgroup/unified");
        assumeTrue(Files.isRegularFile(unified.resolve("cgroup.procs")), "no cgroup v2 hierarchy at " + unified);
        String parent = "bulwark-it-podman-" + ProcessHandle.current().pid();
        List<String> v1Before = v1CgroupsNamed(parent);
        try {
            List<String> flags = List.of("run", "--rm", "--network=none", "--ulimit", "nofile=1024:1024", "--ulimit",
                    "nproc=1024:1024", "--cgroup-parent=/" + parent);
            List<String> refused = new ArrayList<>(flags);
            refused.addAll(List.of(PodmanEngine.IMAGE, "echo", "hi"));
            PodmanEngine.Result noFlag = PodmanEngine.execute(inCgroupV2Namespace(podman.command(refused)), 120);
            assertNotEquals(0, noFlag.exitCode(), noFlag.describe());
            assertTrue(noFlag.stderr().contains("linux.resources.pids: the pids controller is not available"), noFlag.describe());

            List<String> unlimited = new ArrayList<>(flags);
            unlimited.addAll(List.of("--pids-limit=-1", PodmanEngine.IMAGE, "sh", "-c", "echo hi; cat /proc/self/cgroup"));
            PodmanEngine.Result hi = PodmanEngine.execute(inCgroupV2Namespace(podman.command(unlimited)), 120);
            assertEquals(0, hi.exitCode(), hi.describe());
            assertTrue(hi.stdout().startsWith("hi\n"), hi.describe());
            assertTrue(Files.isDirectory(unified.resolve(parent).resolve("conmon")), "conmon's cgroup is a v2 one");
            assertEquals(v1Before, v1CgroupsNamed(parent), "nothing made in the v1 hierarchies");
        } finally {
            removeCgroupTree(unified.resolve(parent));
        }
    }

    private static List<String> inCgroupV2Namespace(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup && exec \"$@\"", "sh"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static List<String> v1CgroupsNamed(String name) {
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            return hierarchies.filter(h -> !h.getFileName().toString().equals("unified"))
                    .map(h -> h.resolve(name)).filter(Files::exists).map(Path::toString).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void removeCgroupTree(Path cgroup) {
        if (!Files.isDirectory(cgroup)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(cgroup)) {
            walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).forEach(d -> d.toFile().delete());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertFalse(Files.exists(cgroup), "cgroup " + cgroup + " removed (empty)");
    }

    /**
     * With {"profile": "hardened"} in /etc/bulwark/bulwark.json (a private overlay over /etc in a mount namespace of
     * the test's own: the machine's file is never written), Podman's rootful containers still run, in a user namespace
     * whose root is an unprivileged host uid, on storage Bulwark idmaps (vfs: this kernel cannot idmap an overlayfs
     * mount), and the escape battery gives exactly the built-in default's outcomes inside them. Podman is asked for no
     * capabilities and no seccomp profile of its own, so the profile's (Bulwark's default) applies.
     */
    @Test
    void hardenedProfileFromTheSystemFileRunsPodmanContainersAndTheEscapeBatteryPasses() throws IOException, InterruptedException {
        Mode.ROOT.assumeAvailable();
        Path probeSource = Stream.of(Path.of("src/test/c/escape-probe.c"), Path.of("integration-tests/src/test/c/escape-probe.c"))
                .filter(Files::exists).findFirst().orElseThrow();
        try (PodmanEngine podman = PodmanEngine.start(Mode.ROOT, imageDir.resolve("busybox.tar"), "--storage-driver", "vfs")) {
            Path upper = Files.createDirectories(podman.dir.resolve("etc-overlay/upper/bulwark"));
            Files.createDirectories(podman.dir.resolve("etc-overlay/work"));
            Files.writeString(upper.resolve("bulwark.json"), "{\"profile\": \"hardened\"}\n");
            Path probe = Files.createDirectory(podman.dir.resolve("probe"));
            Process gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", probe.resolve("escape-probe").toString(),
                    probeSource.toAbsolutePath().toString()).redirectErrorStream(true).start();
            String gccOut = new String(gcc.getInputStream().readAllBytes());
            assumeTrue(gcc.waitFor() == 0, "gcc -static could not build the escape probe (scripts/setup-test-host installs gcc, libc6-dev): " + gccOut);
            Files.copy(probe.resolve("escape-probe"), probe.resolve("escape-probe-suid"));
            Files.setAttribute(probe.resolve("escape-probe-suid"), "unix:mode", 04755);
            Process int80 = new ProcessBuilder(probe.resolve("escape-probe").toString(), "int80").redirectErrorStream(true).start();
            boolean int80Available = new String(int80.getInputStream().readAllBytes()).strip().equals("YES");
            assertEquals(0, int80.waitFor());

            List<String> flags = new ArrayList<>(List.of(run("--rm", "--cap-drop=all", "--security-opt", "seccomp=unconfined",
                    "--tmpfs", "/tmp", "-v", probe + ":/probe:ro", PodmanEngine.IMAGE)));
            List<String> ids = new ArrayList<>(flags);
            ids.addAll(List.of("sh", "-c", "echo hi; cat /proc/self/uid_map; grep NoNewPrivs /proc/self/status; touch /x"));
            PodmanEngine.Result hardened = PodmanEngine.execute(withHardenedSystemFile(podman, podman.command(ids)), 120);
            assertEquals(1, hardened.exitCode(), "touch on the read-only root fails: " + hardened.describe());
            assertTrue(hardened.stdout().startsWith("hi\n"), hardened.describe());
            assertTrue(hardened.stdout().matches("(?s).*\\s0\\s+1000000000\\s+65536\\n.*"), "container root is host uid 1000000000: " + hardened.describe());
            assertTrue(hardened.stdout().contains("NoNewPrivs:\t1"), hardened.describe());
            assertTrue(hardened.stderr().contains("Read-only file system"), hardened.describe());

            List<String> battery = new ArrayList<>(flags);
            battery.addAll(List.of("/probe/escape-probe", "battery", "/probe"));
            PodmanEngine.Result result = PodmanEngine.execute(withHardenedSystemFile(podman, podman.command(battery)), 180);
            assertEquals(0, result.exitCode(), result.describe());
            Map<String, String> actual = new TreeMap<>();
            result.stdout().lines().filter(l -> !l.startsWith("TRIED ")).forEach(l -> {
                String[] parts = l.split(" ", 2);
                actual.put(parts[0], parts.length > 1 ? parts[1] : "");
            });
            Map<String, String> expected = new TreeMap<>(EscapeBatteryTest.expected(Mode.ROOT, int80Available));
            String failures = expected.entrySet().stream().filter(e -> !e.getValue().equals(actual.get(e.getKey())))
                    .map(e -> e.getKey() + ": expected " + e.getValue() + ", got " + actual.get(e.getKey()))
                    .collect(Collectors.joining("\n  "));
            System.out.println("escape battery in a Podman container, hardened profile: "
                    + (expected.size() - failures.lines().count()) + " of " + expected.size() + " blocked precisely");
            assertEquals(expected.keySet(), actual.keySet(), result.describe());
            assertEquals("", failures, "escape battery under Podman, hardened profile");
            podman.assertNothingLeft();
        }
    }

    private static List<String> withHardenedSystemFile(PodmanEngine podman, List<String> command) {
        Path overlay = podman.dir.resolve("etc-overlay");
        List<String> wrapped = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount -t overlay overlay -o lowerdir=/etc,upperdir=" + overlay.resolve("upper") + ",workdir=" + overlay.resolve("work")
                        + " /etc && exec \"$@\"", "sh"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Runs {@code command} with a pseudo-terminal as its stdio ({@code script -qec}), as podman -t needs. */
    private static PodmanEngine.Result underScript(List<String> command) {
        String shellCommand = command.stream().map(PodmanEngine::quote).collect(Collectors.joining(" "));
        PodmanEngine.Result result = PodmanEngine.execute(List.of("script", "-qec", shellCommand, "/dev/null"), 120);
        return new PodmanEngine.Result(result.exitCode(), result.stdout().replace("\r", ""), result.stderr(), result.millis());
    }

    private static String inspect(PodmanEngine podman, String name, String format) {
        PodmanEngine.Result r = podman.podman(60, "inspect", "--format", format, name);
        assertEquals(0, r.exitCode(), r.describe());
        return r.stdout().strip();
    }

    private static void awaitLog(PodmanEngine podman, String name, String text) throws InterruptedException {
        awaitLogCount(podman, name, text, 1);
    }

    private static void awaitLogCount(PodmanEngine podman, String name, String text, int count) throws InterruptedException {
        String logs = "";
        for (int i = 0; i < 60; i++) {
            logs = podman.podman(60, "logs", name).stdout();
            if (logs.lines().filter(text::equals).count() >= count) {
                return;
            }
            Thread.sleep(500);
        }
        fail("podman logs never showed \"" + text + "\" " + count + " time(s): " + logs);
    }

    private static void awaitStatus(PodmanEngine podman, String name, String status) throws InterruptedException {
        for (int i = 0; i < 60; i++) {
            if (inspect(podman, name, "{{.State.Status}}").equals(status)) {
                return;
            }
            Thread.sleep(500);
        }
        fail(name + " never reached status " + status);
    }
}
