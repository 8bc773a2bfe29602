package dev.bulwark.it;

import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.Mount;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** Isolation as seen from inside real containers, as root and rootless (issue: foundation). */
class ContainerIsolationTest {
    private static int counter;

    private static String newId(Mode mode) {
        return "it-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    private static Cli.Result runInBundle(Mode mode, String id, String script) {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", script));
        try {
            return Cli.run(mode, Containers.runBundle(mode, bundle, id));
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void initIsPidOneWithItsOwnHostnameNamespacesAndIdMap(Mode mode) throws IOException {
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Cli.Result result = runInBundle(mode, id,
                "echo pid=$$; echo host=$(hostname); for n in user pid mnt uts ipc net cgroup; do echo ns=$n=$(readlink /proc/self/ns/$n); done; echo map=$(cat /proc/self/uid_map | tr -s ' ')");
        assertEquals(0, result.exitCode(), result.describe());
        List<String> lines = result.stdout().lines().toList();
        assertTrue(lines.contains("pid=1"), result.describe());
        assertTrue(lines.contains("host=bulwark"), result.describe());
        for (String line : lines) {
            if (line.startsWith("ns=")) {
                String[] parts = line.split("=", 3);
                String host = Files.readSymbolicLink(Path.of("/proc/self/ns", parts[1])).toString();
                assertNotEquals(host, parts[2], parts[1] + " namespace must differ from the host's");
            }
        }
        assertEquals(7, lines.stream().filter(l -> l.startsWith("ns=")).count(), result.describe());
        String expectedMap = mode == Mode.ROOT ? "map=0 1000000000 65536" : "map=0 " + Mode.rootlessUid() + " 1";
        assertTrue(lines.stream().anyMatch(l -> l.replace("map= ", "map=").equals(expectedMap)),
                "uid_map as configured: " + result.describe());
        Containers.assertNothingLeft(mode, id, mountsBefore);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void rootIsReadOnlyAndWritesFailWithErofs(Mode mode) {
        Cli.Result result = runInBundle(mode, newId(mode),
                "grep ' / ' /proc/mounts; touch /probe 2>&1; echo rc=$?");
        assertEquals(0, result.exitCode(), result.describe());
        String rootLine = result.stdout().lines().filter(l -> l.contains(" / ")).findFirst().orElseThrow();
        assertTrue(rootLine.split(" ")[3].startsWith("ro"), "root mounted read-only: " + rootLine);
        assertTrue(result.stdout().contains("Read-only file system"), result.describe());
        assertTrue(result.stdout().contains("rc=1"), result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void procShowsOnlyTheContainersProcesses(Mode mode) {
        Cli.Result result = runInBundle(mode, newId(mode), "for d in /proc/[0-9]*; do echo $d; done");
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals(List.of("/proc/1"), result.stdout().lines().toList(), "a private /proc: " + result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void devHoldsOnlyTheListedDevices(Mode mode) {
        Cli.Result result = runInBundle(mode, newId(mode), "ls -A /dev");
        assertEquals(0, result.exitCode(), result.describe());
        Set<String> entries = new TreeSet<>(Arrays.asList(result.stdout().trim().split("\\s+")));
        assertEquals(new TreeSet<>(List.of("fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr",
                "stdin", "stdout", "tty", "urandom", "zero")), entries);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void noHostFileDescriptorLeaks(Mode mode) {
        // The launcher JVM holds dozens of fds (jars, pipes); the workload must see only stdio and its own.
        Cli.Result result = runInBundle(mode, newId(mode), "ls /proc/self/fd");
        assertEquals(0, result.exitCode(), result.describe());
        Set<String> fds = new TreeSet<>(Arrays.asList(result.stdout().trim().split("\\s+")));
        assertTrue(Set.of("0", "1", "2", "3").containsAll(fds), "only stdio (and ls's own directory fd): " + fds);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void workingDirectoryResolvesInsideTheRoot(Mode mode) {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withCwd(Containers.withArgs(spec, "/bin/pwd"), "/tmp/../../tmp"));
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("/tmp", result.stdout().trim());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void missingWorkingDirectoryNamesTheStep(Mode mode) {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> Containers.withCwd(Containers.withArgs(spec, "/bin/pwd"), "/nonexistent"));
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(125, result.exitCode(), result.describe());
            assertEquals("bulwark: change directory to /nonexistent: ENOENT (No such file or directory)", result.errors().trim());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void exitStatusIsTheWorkloads(Mode mode) {
        assertEquals(42, runInBundle(mode, newId(mode), "exit 42").exitCode());
        assertEquals(0, runInBundle(mode, newId(mode), "true").exitCode());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void notFoundIs127AndNotExecutableIs126(Mode mode) {
        mode.assumeAvailable();
        for (var testCase : List.of(new Object[] {"/bin/no-such-program", 127, "not found in the container"},
                new Object[] {"no-such-program", 127, "not found in the container"},
                new Object[] {"/etc/passwd", 126, "cannot be executed"})) {
            String id = newId(mode);
            Set<String> mountsBefore = Containers.hostMounts();
            Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, (String) testCase[0]));
            try {
                Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, id));
                assertEquals(testCase[1], result.exitCode(), result.describe());
                assertTrue(result.errors().startsWith("bulwark: process.args[0]: " + testCase[0] + " " + testCase[2]), result.describe());
                assertEquals(1, result.errors().lines().count(), "one line: " + result.describe());
                Containers.assertNothingLeft(mode, id, mountsBefore);
            } finally {
                Bundles.delete(bundle);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void badConfigIsRejectedNamingEveryFieldAndLeavesNothing(Mode mode) {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> {
            LinuxMemory badMemory = new LinuxMemory(-5L, null, null, null, null, null, null, null, null);
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("relative/path", "tmpfs", "tmpfs", List.of()));
            return spec.withLinux(spec.linux().withResources(spec.linux().resources().withMemory(badMemory))).withMounts(mounts);
        });
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(125, result.exitCode(), result.describe());
            // every problem, on the one line a bad config gets
            assertEquals(1, result.errors().lines().count(), result.describe());
            assertTrue(result.errors().startsWith("bulwark: "), result.describe());
            assertTrue(result.errors().contains("linux.resources.memory.limit: "), result.describe());
            assertTrue(result.errors().matches("(?s).*mounts\\[\\d+]\\.destination: must be absolute.*"), result.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void mountTargetEscapingThroughASymlinkIsRefused(Mode mode) throws IOException {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("/escape/data", "tmpfs", "tmpfs", List.of("size=1m")));
            return spec.withMounts(mounts);
        });
        try {
            Files.createSymbolicLink(bundle.resolve("rootfs/escape"), Path.of("../../../../.."));
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(125, result.exitCode(), result.describe());
            assertTrue(result.errors().matches("bulwark: mounts\\[\\d+]\\.destination: \"/escape/data\" escapes the root through symlink /escape -> \\.\\./\\.\\./\\.\\./\\.\\./\\.\\.\\n"),
                    result.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void deviceNodesShippedInTheImageCannotBeOpened(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "cat /image-null 2>&1; echo rc=$?"));
        try {
            run("mknod", bundle.resolve("rootfs/image-null").toString(), "c", "1", "3"); // a copy of /dev/null's node
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(result.stdout().contains("Permission denied") && result.stdout().contains("rc=1"),
                    "the rootfs is nodev: " + result.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFifoPlantedAtABindTargetDoesNotBlockTheLaunch(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("/etc/planted", "bind", "/etc/hostname", List.of("rbind", "ro")));
            return Containers.withArgs(spec, "/bin/sh", "-c", "test -f /etc/planted && echo regular").withMounts(mounts);
        });
        try {
            run("mkfifo", bundle.resolve("rootfs/etc/planted").toString());
            if (mode == Mode.ROOTLESS) {
                run("chown", Mode.rootlessUid() + ":" + Mode.rootlessGid(), bundle.resolve("rootfs/etc/planted").toString());
            }
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("regular", result.stdout().trim(), "the host file is bound over the FIFO: " + result.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void pathSearchSkipsANonExecutableCandidateLikeExecvp(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> spec.withProcess(spec.process().withArgs(List.of("true"))
                .withEnv(List.of("PATH=/opt/first:/bin"))));
        try {
            Path first = Files.createDirectories(bundle.resolve("rootfs/opt/first"));
            Files.writeString(first.resolve("true"), "not a program\n"); // mode 644: execve says EACCES
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), "/bin/true ran after /opt/first/true was refused: " + result.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDevSymlinkLeavingTheRootIsRefused(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> spec.withMounts(spec.mounts().stream()
                .filter(m -> !m.destination().startsWith("/dev")).toList()));
        try {
            Files.delete(bundle.resolve("rootfs/dev"));
            Files.createSymbolicLink(bundle.resolve("rootfs/dev"), Path.of("../../../../../tmp"));
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(125, result.exitCode(), result.describe());
            assertTrue(result.errors().startsWith("bulwark: linux.devices: \"/dev\" escapes the root through symlink /dev -> "),
                    result.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", command));
    }
}
