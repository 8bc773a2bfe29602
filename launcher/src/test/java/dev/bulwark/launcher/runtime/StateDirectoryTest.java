package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** State directories on the real file system, through directory descriptors. */
class StateDirectoryTest {
    private Path base;
    private Path rootPath;

    @BeforeEach
    void createRoot() throws IOException {
        base = Files.createTempDirectory("bulwark-state-test");
        rootPath = base.resolve("root");
    }

    @AfterEach
    void removeRoot() throws IOException {
        try (Stream<Path> walk = Files.walk(base)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static ContainerState deadLauncher(String id) {
        ProcessIdentity self = ProcessIdentity.self();
        return ContainerState.claimed(id, new ProcessIdentity(self.pid(), self.startTime() + 1), false);
    }

    @Test
    void recordedHooksAreRunOnlyFromAPrivateRegularFileOfThisUser() throws Exception {
        ContainerId id = new ContainerId("c1");
        var hook = new dev.bulwark.config.model.Hook("/bin/true", List.of(), List.of(), null);
        var hooks = new dev.bulwark.config.model.Hooks(List.of(hook), List.of(), List.of(), List.of(), List.of(), List.of());
        try (StateRoot root = StateRoot.openOrCreate(rootPath);
             StateDirectory dir = StateDirectory.claim(root, id, ContainerState.claimed("c1", ProcessIdentity.self(), false))) {
            dir.writeHooks(hooks);
            Path file = rootPath.resolve("c1").resolve(StateDirectory.HOOKS_FILE);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(hooks, dir.readHooks().orElseThrow());
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
            LaunchException loose = assertThrows(LaunchException.class, dir::readHooks);
            assertEquals(file + " is not a regular file of uid " + dev.bulwark.nativ.Syscalls.geteuid()
                    + " with mode 0600 (uid " + dev.bulwark.nativ.Syscalls.geteuid() + ", mode 0664); its commands are not run",
                    loose.getMessage());
            Files.delete(file);
            assertEquals(0, new ProcessBuilder("mkfifo", "-m", "600", file.toString()).start().waitFor());
            LaunchException fifo = assertThrows(LaunchException.class, dir::readHooks, "refused, not blocked on");
            assertTrue(fifo.getMessage().endsWith("(not a regular file); its commands are not run"), fifo.getMessage());
            Files.delete(file);
            if (dev.bulwark.nativ.Syscalls.geteuid() == 0) {
                dir.writeHooks(hooks);
                Files.setOwner(file, file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
                LaunchException foreign = assertThrows(LaunchException.class, dir::readHooks);
                assertTrue(foreign.getMessage().contains("(uid 65534, mode 0600)"), foreign.getMessage());
            }
        }
    }

    @Test
    void aStoppedDetachedContainerKeepsItsIdUntilDeletedAndSaysSo() throws IOException {
        ContainerId id = new ContainerId("c3");
        ProcessIdentity me = ProcessIdentity.self();
        ProcessIdentity gone = new ProcessIdentity((int) ProcessHandle.current().pid(), me.startTime() + 1);
        try (StateRoot root = StateRoot.openOrCreate(rootPath)) {
            ContainerState stopped = ContainerState.claimed("c3", gone, false).detach().cloned(gone, null).withStatus("running");
            StateDirectory.claim(root, id, stopped).release(); // what run --detach leaves once its workload exited
            int log = ContainerLog.openForReading(root, id).map(fd -> fd).orElse(-1);
            assertEquals(-1, log, "no log unless run --detach made one");
            LaunchException taken = assertThrows(LaunchException.class, () ->
                    StateDirectory.claim(root, id, ContainerState.claimed("c3", me, false)));
            assertTrue(taken.getMessage().startsWith("--id c3: a stopped container with this id is kept until deleted "
                    + "(bulwark delete c3)"), taken.getMessage());
        }
    }

    @Test
    void claimRecordsTheLauncherAtOnceAndCloseRemovesEverything() throws IOException {
        ContainerId id = new ContainerId("c1");
        try (StateRoot root = StateRoot.openOrCreate(rootPath)) {
            assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(rootPath)));
            try (StateDirectory dir = StateDirectory.claim(root, id, ContainerState.claimed("c1", ProcessIdentity.self(), false))) {
                dir.rootfsMountPoint();
                ContainerState found = StateDirectory.read(root, id);
                assertEquals(ProcessHandle.current().pid(), found.launcherPid());
                assertEquals("creating", found.effectiveStatus());
                assertEquals(List.of(id), root.ids());
                LaunchException taken = assertThrows(LaunchException.class, () ->
                        StateDirectory.claim(root, id, ContainerState.claimed("c1", ProcessIdentity.self(), false)));
                assertTrue(taken.getMessage().contains("is running or being created"), taken.getMessage());
                assertThrows(LaunchException.class, () -> StateDirectory.delete(root, id), "its launcher runs");
            }
            assertFalse(Files.exists(rootPath.resolve("c1")));
            assertThrows(NoSuchContainerException.class, () -> StateDirectory.read(root, id));
        }
    }

    @Test
    void deleteKillsOnlyARecordedPastaThatIsStillPasta() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start(); // alive, recorded as pasta, but not pasta
        try (StateRoot root = StateRoot.openOrCreate(rootPath)) {
            ProcessIdentity notPasta = ProcessIdentity.current((int) sleeper.pid()).orElseThrow();
            StateDirectory dir = StateDirectory.claim(root, new ContainerId("net"), deadLauncher("net"));
            dir.recordPasta(notPasta); // not closed: "killed"
            Path file = rootPath.resolve("net").resolve(StateDirectory.PASTA_FILE);
            assertEquals(notPasta.pid() + " " + notPasta.startTime() + "\n", Files.readString(file));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
            LaunchException loose = assertThrows(LaunchException.class, () -> StateDirectory.delete(root, new ContainerId("net")));
            assertTrue(loose.getMessage().endsWith("; the process it names is not killed"), loose.getMessage());
            assertTrue(Files.exists(file), "nothing removed");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            StateDirectory.delete(root, new ContainerId("net"));
            assertFalse(Files.exists(rootPath.resolve("net")));
            assertTrue(sleeper.isAlive(), "a recorded pid whose command is not pasta is never signalled");
        } finally {
            sleeper.destroyForcibly();
            sleeper.waitFor();
        }
    }

    @Test
    void aKilledLaunchersDirectoryIsStoppedDeletableAndReclaimed() throws IOException {
        try (StateRoot root = StateRoot.openOrCreate(rootPath)) {
            StateDirectory.claim(root, new ContainerId("gone"), deadLauncher("gone")).rootfsMountPoint(); // not closed: "killed"
            assertEquals("stopped", StateDirectory.read(root, new ContainerId("gone")).effectiveStatus());
            StateDirectory.delete(root, new ContainerId("gone"));
            assertFalse(Files.exists(rootPath.resolve("gone")));

            StateDirectory.claim(root, new ContainerId("again"), deadLauncher("again"));
            try (StateDirectory reclaimed = StateDirectory.claim(root, new ContainerId("again"),
                    ContainerState.claimed("again", ProcessIdentity.self(), false))) {
                assertEquals(ProcessHandle.current().pid(), StateDirectory.read(root, reclaimed.id()).launcherPid());
            }
            try (Stream<Path> left = Files.list(rootPath)) {
                assertEquals(List.of(), left.toList(), "no tombstone or directory left");
            }
        }
    }

    @Test
    void aDirectoryWithoutStateIsCreatingWhileYoungThenStopped() throws IOException {
        try (StateRoot root = StateRoot.openOrCreate(rootPath)) {
            Path bare = Files.createDirectory(rootPath.resolve("bare"));
            Files.createDirectory(bare.resolve("rootfs"));
            assertEquals("creating", StateDirectory.read(root, new ContainerId("bare")).effectiveStatus());
            assertThrows(LaunchException.class, () -> StateDirectory.delete(root, new ContainerId("bare")));
            Files.setLastModifiedTime(bare, FileTime.from(Instant.now().minusSeconds(StateDirectory.CLAIM_GRACE_SECONDS + 5)));
            assertEquals("stopped", StateDirectory.read(root, new ContainerId("bare")).effectiveStatus());
            StateDirectory.delete(root, new ContainerId("bare"));
            assertFalse(Files.exists(bare));
        }
    }

    @Test
    void symlinksAreNeverFollowed() throws IOException {
        Path outside = Files.createDirectory(base.resolve("outside"));
        Files.writeString(outside.resolve("state.json"), deadLauncher("link").toJson());
        try (StateRoot root = StateRoot.openOrCreate(rootPath)) {
            Files.createSymbolicLink(rootPath.resolve("link"), outside);
            LaunchException e = assertThrows(LaunchException.class, () -> StateDirectory.delete(root, new ContainerId("link")));
            assertTrue(e.getMessage().contains("is not a state directory"), e.getMessage());
            assertTrue(root.ids().isEmpty(), "a symlink is not listed");

            Path dir = Files.createDirectory(rootPath.resolve("withlink"));
            Files.createSymbolicLink(dir.resolve("state.json"), outside.resolve("state.json"));
            e = assertThrows(LaunchException.class, () -> StateDirectory.read(root, new ContainerId("withlink")));
            assertEquals(dir.resolve("state.json") + " is a symlink; not a Bulwark state file, left alone", e.getMessage());
            Files.delete(dir.resolve("state.json"));
            Files.createSymbolicLink(dir.resolve("rootfs"), outside);
            Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minusSeconds(60)));
            e = assertThrows(LaunchException.class, () -> StateDirectory.delete(root, new ContainerId("withlink")));
            assertTrue(e.getMessage().contains("not a Bulwark state directory"), e.getMessage());
        }
        assertTrue(Files.exists(outside.resolve("state.json")), "nothing outside the root removed");
    }

    @Test
    void aRootWritableByOthersOrASymlinkIsRefused() throws IOException {
        Files.createDirectory(rootPath);
        Files.setPosixFilePermissions(rootPath, PosixFilePermissions.fromString("rwxrwxrwx"));
        LaunchException e = assertThrows(LaunchException.class, () -> StateRoot.openOrCreate(rootPath));
        assertEquals("state root " + rootPath + ": writable by group or others (mode 777); refusing to use it"
                + " (chmod go-w it, or remove it)", e.getMessage());
        Files.setPosixFilePermissions(rootPath, PosixFilePermissions.fromString("rwx--x--x"));
        Path link = Files.createSymbolicLink(base.resolve("link"), rootPath);
        e = assertThrows(LaunchException.class, () -> StateRoot.open(link));
        assertTrue(e.getMessage().contains("is a symlink"), e.getMessage());
    }

    @Test
    void leftoverTombstonesOfADeadRemoverAreSwept() throws IOException {
        try (StateRoot root = StateRoot.openOrCreate(rootPath)) {
            Path tombstone = Files.createDirectory(rootPath.resolve("~removing-999999999-1"));
            Files.writeString(tombstone.resolve("state.json"), "{}");
            StateDirectory.claim(root, new ContainerId("x"), deadLauncher("x"));
            StateDirectory.delete(root, new ContainerId("x"));
            assertFalse(Files.exists(tombstone));
        }
    }
}
