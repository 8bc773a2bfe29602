package dev.bulwark.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** exec in a running container, stdin as a pipe, files copied in, the bound on collected output: real containers. */
class ExecStdinFilesTest {
    private static final String WAIT_FOREVER = "trap 'exit 0' TERM; while :; do sleep 0.1; done";

    @BeforeAll
    static void machineRunsContainers() {
        assumeTrue(Bulwark.unsupportedReason().isEmpty(), () -> Bulwark.unsupportedReason().orElse(""));
    }

    @Test
    void execRunsInTheContainersNamespacesConfinedAsItsInit() {
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", "echo from-init > /tmp/marker; echo up; " + WAIT_FOREVER)
                .hostname("exec-host").readyWhenOutput("up", Duration.ofSeconds(20)).start()) {
            ContainerResult result = container.exec("/bin/sh", "-c", "cat /tmp/marker; hostname; grep CapEff /proc/self/status; "
                    + "echo err >&2; exit 4");
            assertEquals(4, result.exitStatus(), result.stderr());
            assertEquals("from-init\nexec-host\nCapEff:\t0000000000000000\n", result.stdout());
            assertEquals("err\n", result.stderr());
            ContainerResult envAndDir = container.newExec("/bin/sh", "-c", "echo $GREETING; pwd").env("GREETING", "hi")
                    .workdir("/tmp").run();
            assertEquals("hi\n/tmp\n", envAndDir.stdout(), envAndDir.stderr());
            assertTrue(container.isRunning(), "the init still runs");
            assertEquals("", container.stdoutText().replace("up\n", ""), "exec output never mixes into the init's");
        }
    }

    @Test
    void aMissingExecCommandIsTypedAndTheContainerRunsOn() {
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", WAIT_FOREVER).start()) {
            ContainerException e = assertThrows(ContainerException.class, () -> container.exec("/no/such/program"));
            assertEquals("exec", e.step());
            assertEquals("process.args[0]", e.field());
            assertEquals(127, e.exitStatus());
            ContainerException cwd = assertThrows(ContainerException.class, () -> container.newExec("/bin/true").workdir("tmp").run());
            assertEquals("workdir", cwd.field());
            assertTrue(container.isRunning());
        }
        assertEquals(0, ProcessHandle.current().children().count(), "children left");
    }

    @Test
    void execInAClosedContainerIsRefused() {
        RunningContainer container = Bulwark.container("/bin/sh", "-c", WAIT_FOREVER).start();
        container.close();
        ContainerException e = assertThrows(ContainerException.class, () -> container.exec("/bin/true"));
        assertEquals("exec", e.step());
    }

    @Test
    void aLongRunningExecEndsWithTheContainer() throws Exception {
        RunningContainer container = Bulwark.container("/bin/sh", "-c", WAIT_FOREVER).start();
        ExecProcess sleeper = container.newExec("/bin/sleep", "600").start();
        assertTrue(sleeper.isRunning());
        int pid = sleeper.pid();
        container.close();
        assertFalse(sleeper.isRunning(), "reaped by the time close returns");
        assertEquals(137, sleeper.exitStatus());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    void stdinIsAPipeTheTestWritesAndClosesForEndOfFile() throws Exception {
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", "read first; echo got:$first; cat; echo eof")
                .openStdin().start()) {
            OutputStream in = container.stdin();
            in.write("hello\nrest of it\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertTrue(container.awaitOutput("got:hello", Duration.ofSeconds(20)), container.stdoutText());
            in.close();
            assertTrue(container.waitFor(Duration.ofSeconds(20)), "end-of-file ends cat");
            assertEquals("got:hello\nrest of it\neof\n", container.stdoutText());
            assertEquals(0, container.exitStatus());
            assertThrows(IOException.class, () -> in.write(1), "closed");
        }
        try (RunningContainer container = Bulwark.container("/bin/cat").start()) {
            assertTrue(container.waitFor(Duration.ofSeconds(20)), "without openStdin it reads /dev/null: cat ends at once");
            assertThrows(IllegalStateException.class, container::stdin);
        }
    }

    @Test
    void execStdinToo() throws Exception {
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", WAIT_FOREVER).start();
             ExecProcess cat = container.newExec("/usr/bin/tr", "a-z", "A-Z").openStdin().start()) {
            cat.stdin().write("shout\n".getBytes(StandardCharsets.UTF_8));
            cat.stdin().close();
            assertTrue(cat.waitFor(Duration.ofSeconds(20)));
            assertEquals("SHOUT\n", cat.result().stdout());
            assertEquals(0, cat.exitStatus());
        }
    }

    @Test
    void filesAreCopiedInReadOnlyAndTheStagingIsRemovedAtClose(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("app.conf"), "setting=1\n");
        Path tree = Files.createDirectories(dir.resolve("site"));
        Files.writeString(tree.resolve("index.html"), "<p>hi</p>\n");
        Files.createDirectories(tree.resolve("sub"));
        Files.writeString(tree.resolve("sub/deep.txt"), "deep\n");
        Files.createSymbolicLink(tree.resolve("link"), Path.of("/etc/hostname")); // resolved inside the container
        List<Path> stagedBefore = staged();
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c",
                        "cat /etc/app/app.conf /srv/site/index.html /srv/site/sub/deep.txt /srv/site/link /opt/run.sh; /opt/run.sh; "
                                + "echo x > /etc/app/app.conf || echo read-only; " + WAIT_FOREVER)
                .copyFileToContainer(file, "/etc/app/app.conf").copyFileToContainer(tree, "/srv/site")
                .copyToContainer("#!/bin/sh\necho ran\n".getBytes(StandardCharsets.UTF_8), 0755, "/opt/run.sh")
                .readyWhenOutput("read-only", Duration.ofSeconds(20)).start()) {
            assertEquals("setting=1\n<p>hi</p>\ndeep\nbulwark\n#!/bin/sh\necho ran\nran\nread-only\n", container.stdoutText(),
                    container.stderrText());
            assertEquals(stagedBefore.size() + 1, staged().size(), "one staging directory while it runs");
            Files.writeString(file, "changed on the host\n");
            assertEquals("setting=1\n", container.exec("/bin/cat", "/etc/app/app.conf").stdout(), "a snapshot");
        }
        assertEquals(stagedBefore, staged(), "the staging directory is removed at close");
    }

    @Test
    void aPrivateFileStaysPrivateOnTheHostAndIsReadableByTheContainersRoot(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "token\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path tree = Files.createDirectories(dir.resolve("tree/locked"));
        Files.writeString(tree.resolve("file"), "in a read-only directory\n");
        Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("r-x------")); // kept; still removed at close
        List<Path> stagedBefore = staged();
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", "id -u; cat /run/secret; stat -c %a /srv/tree/locked; "
                        + "cat /srv/tree/locked/file; echo ready; " + WAIT_FOREVER)
                .copyFileToContainer(secret, "/run/secret").copyFileToContainer(dir.resolve("tree"), "/srv/tree")
                .readyWhenOutput("ready", Duration.ofSeconds(20)).start()) {
            assertEquals("0\ntoken\n500\nin a read-only directory\nready\n", container.stdoutText(), container.stderrText());
            List<Path> now = new java.util.ArrayList<>(staged());
            now.removeAll(stagedBefore);
            assertEquals(1, now.size(), "one staging directory while it runs: " + now);
            Path staging = now.get(0);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(staging, LinkOption.NOFOLLOW_LINKS)),
                    "the staging directory, for other host users");
            try (Stream<Path> files = Files.list(staging)) {
                Path staged = files.filter(Files::isRegularFile).findFirst().orElseThrow();
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(staged, LinkOption.NOFOLLOW_LINKS)),
                        "the staged file keeps its own mode");
                int containerRoot = dev.bulwark.nativ.Syscalls.geteuid() == 0 ? 1_000_000_000 : dev.bulwark.nativ.Syscalls.geteuid();
                assertEquals(dev.bulwark.nativ.Syscalls.geteuid(), Files.getAttribute(staging, "unix:uid", LinkOption.NOFOLLOW_LINKS),
                        "the staging directory stays the launcher's: no host process of the container's uid reaches into it");
                for (Path owned : List.of(staged)) {
                    assertEquals(containerRoot, Files.getAttribute(owned, "unix:uid", LinkOption.NOFOLLOW_LINKS), owned + " owner");
                    assertEquals(containerRoot == 1_000_000_000 ? 1_000_000_000 : dev.bulwark.nativ.Syscalls.getegid(),
                            Files.getAttribute(owned, "unix:gid", LinkOption.NOFOLLOW_LINKS), owned + " group");
                }
            }
        }
        assertEquals(stagedBefore, staged(), "the staging directory is removed at close");
        Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwx------")); // for @TempDir's clean-up
    }

    @Test
    void badCopiesAreRefusedNamingTheSettingAndLeaveNothing(@TempDir Path dir) throws Exception {
        List<Path> stagedBefore = staged();
        for (String destination : List.of("relative/path", "/etc/../x", "/", "/a//b", "/a/./b")) {
            ContainerException e = assertThrows(ContainerException.class,
                    () -> Bulwark.container("/bin/true").copyFileToContainer(dir, destination));
            assertEquals("configure", e.step());
            assertEquals("copyFileToContainer", e.field(), e.getMessage());
        }
        ContainerException missing = assertThrows(ContainerException.class, () -> Bulwark.container("/bin/true")
                .copyFileToContainer(dir.resolve("absent"), "/x").run());
        assertEquals("copyFileToContainer", missing.field());
        assertTrue(missing.getMessage().contains("absent"), missing.getMessage());
        ContainerException badUser = assertThrows(ContainerException.class, () -> Bulwark.container("/bin/true")
                .copyFileToContainer(dir, "/x").user("nobody").run());
        assertEquals("user", badUser.field());
        assertEquals(stagedBefore, staged(), "nothing staged is left by a refused start");
    }

    @Test
    void collectedOutputIsBoundedAndTheWorkloadNeverBlocks() {
        ContainerResult result = Bulwark.container("/bin/sh", "-c", "head -c 10000000 /dev/zero | tr '\\0' a; echo done >&2")
                .outputLimit(1000).run(Duration.ofMinutes(2));
        assertEquals(0, result.exitStatus(), result.stderr());
        assertTrue(result.stdout().startsWith("a".repeat(1000) + "\n[bulwark: output truncated: the first 1000 bytes kept, "
                + 9_999_000 + " more dropped"), result.stdout().substring(0, Math.min(1200, result.stdout().length())));
        assertEquals("done\n", result.stderr(), "the other stream is kept whole");
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", "head -c 5000 /dev/zero").outputLimit(100).start()) {
            assertTrue(container.waitFor(Duration.ofSeconds(20)));
            assertTrue(container.outputTruncated());
        }
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", WAIT_FOREVER).start()) {
            ContainerResult exec = container.newExec("/bin/sh", "-c", "head -c 3000 /dev/zero").outputLimit(10).run();
            assertTrue(exec.stdout().startsWith("\0".repeat(10) + "\n[bulwark: output truncated"), exec.stdout());
        }
    }

    private static List<Path> staged() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().startsWith("bulwark-copies-")).sorted().toList();
        }
    }
}
