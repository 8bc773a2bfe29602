package dev.bulwark.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Container ids and state files cannot lead Bulwark outside its state root or its own cgroups:
 * invalid ids are refused by every verb before any path is built, a squatted or symlinked state root
 * is refused, and a state.json naming a foreign cgroup is not acted on.
 */
class StateSafetyTest {
    private static final Mode MODE = Mode.ROOT;

    private static String root() {
        return Containers.stateRoot(MODE).toString();
    }

    /** A host directory the ids below point at; it must survive every command. */
    private static Path victim() throws IOException {
        Path dir = Path.of("/tmp/bulwark-it-victim-" + ProcessHandle.current().pid());
        Files.createDirectories(dir.resolve("some/dir"));
        Files.writeString(dir.resolve("some/dir/precious"), "keep");
        Files.writeString(dir.resolve("some/dir/state.json"), "{\"id\":\"x\",\"status\":\"running\",\"launcherPid\":1,"
                + "\"cgroup\":\"/sys/fs/cgroup/unified\"}");
        return dir;
    }

    private static void assertOneLineError(Cli.Result result, int exitCode, String contains) {
        assertEquals(exitCode, result.exitCode(), result.describe());
        assertEquals(1, result.stderr().lines().count(), "one line: " + result.describe());
        assertTrue(result.stderr().startsWith("bulwark: ") && result.stderr().contains(contains), result.describe());
        assertFalse(result.stderr().contains("Exception"), result.describe());
    }

    @Test
    void everyVerbRefusesAnIdThatIsAPath() throws IOException {
        MODE.assumeAvailable();
        Path victim = victim();
        try {
            String relative = Path.of(root()).relativize(victim.resolve("some/dir")).toString(); // ../../bulwark-it-victim-N/some/dir
            for (List<String> verb : List.of(List.of("delete"), List.of("state"), List.of("stats"))) {
                for (String id : List.of(relative, "../x", victim.resolve("some/dir").toString(), "..")) {
                    List<String> args = new java.util.ArrayList<>(verb);
                    args.addAll(List.of(id, "--root", root()));
                    assertOneLineError(Cli.run(MODE, args), 125, "ID: invalid container id");
                }
            }
            assertEquals("keep", Files.readString(victim.resolve("some/dir/precious")));
        } finally {
            Cli.deleteTree(victim);
        }
    }

    @Test
    void runRefusesAnIdThatIsAPathAndDeletesNothing() throws IOException {
        MODE.assumeAvailable();
        Path existing = Path.of("/var/tmp/bulwark-it-v-" + ProcessHandle.current().pid());
        Files.createDirectories(existing);
        Files.writeString(existing.resolve("precious"), "keep");
        Files.setLastModifiedTime(existing, FileTime.from(Instant.now().minusSeconds(3600))); // "stale" to the old rule
        try {
            Cli.Result run = Cli.run(MODE, List.of("run", "--id", existing.toString(), "--", "/bin/true"));
            assertOneLineError(run, 125, "--id: invalid container id");
            assertEquals("keep", Files.readString(existing.resolve("precious")));
        } finally {
            Cli.deleteTree(existing);
        }
    }

    @Test
    void aMissingContainerIsOneLineAndExitStatusOne() {
        MODE.assumeAvailable();
        for (String verb : List.of("state", "delete", "stats")) {
            Cli.Result result = Cli.run(MODE, List.of(verb, "nosuch", "--root", root()));
            assertOneLineError(result, 1, "container \"nosuch\" does not exist");
        }
        Cli.Result noRoot = Cli.run(MODE, List.of("state", "nosuch", "--root", "/tmp/bulwark-it-no-such-root"));
        assertOneLineError(noRoot, 1, "container \"nosuch\" does not exist");
    }

    @Test
    void aStateFileNamingAForeignCgroupIsRefused() throws Exception {
        MODE.assumeAvailable();
        Path v2 = cgroupV2Mount();
        assumeTrue(v2 != null, "no cgroup v2 hierarchy is mounted: the recorded cgroup is never looked at");
        String id = "foreign-cgroup-" + ProcessHandle.current().pid();
        Path dir = Path.of(root(), id);
        Files.createDirectory(dir);
        // A launcher that is gone (pid 1 with a start time it does not have) and the root cgroup: killing
        // "its" processes would kill everything on the host.
        Files.writeString(dir.resolve("state.json"), "{\"id\":\"" + id + "\",\"status\":\"running\",\"launcherPid\":1,"
                + "\"launcherStartTime\":999999999,\"cgroup\":\"" + v2 + "\"}");
        try {
            Cli.Result delete = Cli.run(MODE, List.of("delete", id, "--root", root()));
            assertOneLineError(delete, 125, "is not one Bulwark places for container " + id);
            assertTrue(Files.exists(dir.resolve("state.json")), "state left for inspection");
            Files.writeString(Path.of(root(), id + "-corrupt"), "");
            Path corrupt = Files.createDirectory(Path.of(root(), id + "-unreadable"));
            Files.writeString(corrupt.resolve("state.json"), "{not json");
            try {
                Cli.Result list = Cli.run(MODE, List.of("list", "--root", root()));
                assertEquals(0, list.exitCode(), list.describe());
                assertTrue(list.stdout().contains(id + " "), "the others are still listed: " + list.describe());
                assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(id + "-unreadable ") && l.contains(" invalid ")),
                        list.describe());
                assertOneLineError(Cli.run(MODE, List.of("state", id + "-unreadable", "--root", root())), 125,
                        "cannot be read");
            } finally {
                Cli.deleteTree(corrupt);
                Files.delete(Path.of(root(), id + "-corrupt"));
            }
            Files.writeString(dir.resolve("state.json"), "{\"id\":\"" + id + "\",\"status\":\"running\",\"launcherPid\":1,"
                    + "\"launcherStartTime\":999999999,\"cgroup\":\"" + v2.resolve("bulwark/../" + id) + "\"}");
            assertOneLineError(Cli.run(MODE, List.of("delete", id, "--root", root())), 125, "left alone");
            Cli.Result stats = Cli.run(MODE, List.of("stats", id, "--root", root()));
            assertOneLineError(stats, 125, "left alone");
        } finally {
            Cli.deleteTree(dir);
        }
    }

    @Test
    void deleteKillsAnInitThatOutlivedItsLauncherButNoOtherProcess() throws Exception {
        MODE.assumeAvailable();
        // Stand-ins for a container's init that outlived its launcher: a process in a user namespace of its own.
        Process init = new ProcessBuilder("unshare", "--user", "sleep", "600").start();
        Process bystander = new ProcessBuilder("sleep", "600").start();
        String id = "orphan-" + ProcessHandle.current().pid();
        Path dir = Path.of(root(), id);
        try {
            long initPid = init.pid();
            String userNamespace = ownUserNamespace();
            for (int i = 0; i < 250 && userNamespace.equals(ownUserNamespace()); i++) {
                Thread.sleep(20); // unshare has not created the namespace yet
                userNamespace = Files.readSymbolicLink(Path.of("/proc/" + initPid + "/ns/user")).toString();
            }
            Files.createDirectory(dir);
            writeState(dir, id, bystander.pid(), ownUserNamespace());
            Cli.Result refused = Cli.run(MODE, List.of("delete", id, "--root", root()));
            assertEquals(0, refused.exitCode(), refused.describe());
            assertTrue(refused.stderr().contains("not in the namespaces"), refused.describe());
            assertTrue(bystander.isAlive(), "a process in none of the namespaces a container has of its own is not killed");

            Files.createDirectory(dir);
            writeState(dir, id, initPid, userNamespace);
            Cli.Result list = Cli.run(MODE, List.of("list", "--root", root()));
            assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains(" running ")),
                    "its launcher is gone but its init runs: " + list.describe());
            Cli.Result delete = Cli.run(MODE, List.of("delete", id, "--root", root()));
            assertEquals(0, delete.exitCode(), delete.describe());
            assertTrue(init.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the orphaned init was killed");
            assertFalse(Files.exists(dir));
        } finally {
            init.destroyForcibly();
            bystander.destroyForcibly();
            Cli.deleteTree(dir);
        }
    }

    private static String ownUserNamespace() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
    }

    /** A state.json of a launcher that is gone (pid 1 with another start time) and of {@code pid} as init. */
    private static void writeState(Path dir, String id, long pid, String userNamespace) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        long startTime = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
        Files.writeString(dir.resolve("state.json"), "{\"id\":\"" + id + "\",\"status\":\"running\",\"pid\":" + pid
                + ",\"pidStartTime\":" + startTime + ",\"launcherPid\":1,\"launcherStartTime\":999999999,"
                + "\"namespaces\":{\"user\":\"" + userNamespace + "\",\"pid\":\""
                + Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")) + "\"}}");
    }

    @Test
    void aDirectoryHoldingForeignFilesIsNotRemoved() throws Exception {
        MODE.assumeAvailable();
        String id = "foreign-files-" + ProcessHandle.current().pid();
        Path dir = Path.of(root(), id);
        Files.createDirectory(dir);
        Files.writeString(dir.resolve("state.json"), "{\"id\":\"" + id + "\",\"status\":\"running\",\"launcherPid\":1,"
                + "\"launcherStartTime\":999999999}");
        Files.writeString(dir.resolve("precious"), "keep");
        try {
            Cli.Result delete = Cli.run(MODE, List.of("delete", id, "--root", root()));
            assertOneLineError(delete, 125, "not a Bulwark state directory");
            assertEquals("keep", Files.readString(dir.resolve("precious")), "left where it was");
        } finally {
            Cli.deleteTree(dir);
        }
    }

    private static Path cgroupV2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ");
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                return Path.of(halves[0].split(" ")[4]);
            }
        }
        return null;
    }

    @Test
    void aSquattedRootlessStateRootIsRefused() throws Exception {
        Mode.ROOTLESS.assumeAvailable();
        // No XDG_RUNTIME_DIR (Cli resets the environment for the rootless user): the default is /tmp/bulwark-UID.
        Path squatted = Path.of("/tmp/bulwark-" + Mode.rootlessUid());
        Path aside = Path.of(squatted + ".it-aside-" + ProcessHandle.current().pid());
        boolean existed = Files.exists(squatted, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (existed) {
            Files.move(squatted, aside);
        }
        try {
            Files.createDirectory(squatted);
            Files.setPosixFilePermissions(squatted, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.writeString(squatted.resolve("planted"), "keep");
            assertEquals(0, new ProcessBuilder("chown", "65534:65534", squatted.toString()).start().waitFor());
            for (List<String> args : List.of(List.of("run", "--id", "squat", "--", "/bin/true"), List.of("list"),
                    List.of("state", "squat"), List.of("delete", "squat"))) {
                Cli.Result result = Cli.run(Mode.ROOTLESS, args);
                assertOneLineError(result, 125, "state root " + squatted + ": owned by uid 65534");
            }
            Files.setPosixFilePermissions(squatted, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertEquals(0, new ProcessBuilder("chown", Mode.rootlessUid() + ":" + Mode.rootlessGid(), squatted.toString())
                    .start().waitFor());
            Files.setPosixFilePermissions(squatted, PosixFilePermissions.fromString("rwxrwxrwx"));
            assertOneLineError(Cli.run(Mode.ROOTLESS, List.of("run", "--", "/bin/true")), 125, "writable by group or others");
            assertEquals("keep", Files.readString(squatted.resolve("planted")));
            assertEquals(1, Files.list(squatted).count(), "nothing created in it");
        } finally {
            Cli.deleteTree(squatted);
            if (existed) {
                Files.move(aside, squatted);
            }
        }
    }

    @Test
    void aSymlinkedStateRootIsRefused() throws Exception {
        MODE.assumeAvailable();
        Path link = Path.of("/tmp/bulwark-it-root-link-" + ProcessHandle.current().pid());
        Files.createSymbolicLink(link, Path.of(root()));
        try {
            assertOneLineError(Cli.run(MODE, List.of("run", "--root", link.toString(), "--", "/bin/true")), 125,
                    "is a symlink or not a directory");
            assertOneLineError(Cli.run(MODE, List.of("list", "--root", link.toString())), 125, "is a symlink");
        } finally {
            Files.delete(link);
        }
    }
}
