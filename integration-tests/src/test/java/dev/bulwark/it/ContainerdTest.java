package dev.bulwark.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * containerd 1.6 (Debian's containerd, ctr and containerd-shim-runc-v2) runs its containers with Bulwark
 * as the runc binary of the runc v2 shim ({@code ctr run --runc-binary}, what a Kubernetes RuntimeClass
 * reaches through the CRI plugin's {@code BinaryName}): the shim passes {@code --root}, {@code --log},
 * {@code --log-format json} and calls create (--bundle, --pid-file, --console-socket with -t), start,
 * kill, delete (--force), ps --format json, exec (--process, --detach, --pid-file), pause and resume. The
 * container's init is reparented to the shim, a subreaper: signals from ctr reach it, its exit status
 * reaches ctr, delete cleans up after an exit the shim reaped.
 *
 * <p>The daemon is the test's own ({@link ContainerdDaemon}: private root, state, sockets and mount
 * namespace that shows only cgroup v2), started before and stopped after the class by its pid; the image
 * is an OCI archive of a busybox-static rootfs made offline ({@link OciArchive}) and imported with
 * {@code ctr image import}. After each test no task, container, runtime state directory, process, host
 * mount or cgroup of the container is left; after the class, no process of the daemon, no cgroup of its
 * namespace (v2 or v1) and no temporary directory.
 */
class ContainerdTest {
    private static ContainerdDaemon containerd;
    private static boolean imported;
    private static int counter;

    private String id;
    private Set<String> mountsBefore;

    @BeforeAll
    static void startContainerd() throws Exception {
        if (!Mode.isRoot() || !ContainerdDaemon.onPath("containerd") || !ContainerdDaemon.onPath("ctr")) {
            return; // each test skips with the reason
        }
        Bundles.assumeBusybox();
        containerd = ContainerdDaemon.start(Cli.launcherCommand());
        Path work = Files.createTempDirectory(containerd.directory(), "image");
        Path archive = containerd.directory().resolve("busybox-oci.tar");
        OciArchive.write(archive, work);
        ContainerdDaemon.Result imported = containerd.ctr("image", "import", archive.toString());
        assertEquals(0, imported.exitCode(), imported.describe() + containerd.log());
        assertTrue(imported.stdout().contains("unpacking " + OciArchive.IMAGE), imported.describe());
        ContainerdTest.imported = true;
        Cli.deleteTree(work);
    }

    @AfterAll
    static void stopContainerd() throws Exception {
        if (containerd == null) {
            return;
        }
        Path dir = containerd.directory();
        Path namespaceCgroup = ContainerdDaemon.cgroup2MountPoint().orElseThrow().resolve(containerd.namespace());
        ContainerdDaemon.Result images;
        List<Long> leftovers;
        List<Path> cgroupsLeft = List.of();
        try {
            images = containerd.ctr("image", "rm", OciArchive.IMAGE);
        } finally {
            containerd.close();
            leftovers = Containers.processesMentioning(dir.toString());
            if (Files.isDirectory(namespaceCgroup)) { // the parent linux.cgroupsPath (/NAMESPACE/ID) made; runc leaves it too
                try (var children = Files.list(namespaceCgroup)) {
                    cgroupsLeft = children.filter(Files::isDirectory).toList();
                }
                if (cgroupsLeft.isEmpty()) {
                    Files.delete(namespaceCgroup);
                }
            }
        }
        assertEquals(0, images.exitCode(), images.describe());
        assertEquals(List.of(), leftovers, "no shim or other process of the test's containerd is left");
        assertEquals(List.of(), cgroupsLeft, "no container cgroup left");
        assertFalse(Files.exists(dir), dir + " removed");
        for (Path v1 : ContainerdDaemon.cgroup1MountPoints()) {
            assertFalse(Files.exists(v1.resolve(containerd.namespace())), "nothing in the v1 hierarchy " + v1);
        }
    }

    @BeforeEach
    void assumeContainerd() {
        Mode.ROOT.assumeAvailable();
        ContainerdDaemon.assumeInstalled();
        Bundles.assumeBusybox();
        assertTrue(imported, "the image was imported");
        id = "ctrd-" + ProcessHandle.current().pid() + "-" + (++counter);
        mountsBefore = Containers.hostMounts();
    }

    @AfterEach
    void nothingLeft() throws Exception {
        if (containerd == null || id == null) {
            return;
        }
        ContainerdDaemon.Result tasks = containerd.ctr("task", "ls", "-q");
        if (tasks.stdout().lines().anyMatch(id::equals)) { // a failed test: clean up, then report
            containerd.ctr("task", "kill", "-s", "SIGKILL", id);
            awaitStatus(id, "STOPPED");
            containerd.ctr("task", "delete", id);
        }
        containerd.ctr("container", "rm", id);
        assertEquals("", tasks.stdout(), "no task left");
        assertEquals("", containerd.ctr("container", "ls", "-q").stdout(), "no container left");
        assertFalse(Files.exists(containerd.runtimeStateRoot().resolve(id)), "Bulwark's state directory removed");
        assertEquals(List.of(), Containers.processesMentioning(id), "no process of " + id + " (shim, init, exec) left");
        assertFalse(Files.exists(containerCgroup()), "the container's cgroup " + containerCgroup() + " removed");
        assertEquals(Set.of(), mountsOf(Containers.mountsAddedSince(mountsBefore), containerd.directory().toString(), id),
                "host mount table: nothing of the container or its containerd added");
    }

    /**
     * The added mounts that are this test's: its containerd's directory or the container id in the mount point.
     * (Other helpers' engines may mount meanwhile on a shared machine; everything containerd mounts stays in
     * its private namespace anyway.)
     */
    private static Set<String> mountsOf(Set<String> added, String... marks) {
        return added.stream().filter(m -> java.util.Arrays.stream(marks).anyMatch(m::contains))
                .collect(java.util.stream.Collectors.toSet());
    }

    /** The container's cgroup v2 as the host sees it: ctr sets linux.cgroupsPath to /NAMESPACE/ID. */
    private Path containerCgroup() {
        return ContainerdDaemon.cgroup2MountPoint().orElseThrow().resolve(containerd.namespace()).resolve(id);
    }

    /** {@code ctr run [FLAGS] --runc-binary BULWARK IMAGE ID COMMAND...}. */
    private List<String> run(List<String> flags, String... command) {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(flags);
        args.addAll(containerd.runtimeFlags());
        if (!cpuControllerInCgroup2()) {
            // ctr always asks for cpu.shares 1024; without the cpu controller in cgroup v2 (a hybrid host's v2
            // hierarchy has none) Bulwark refuses a limit it cannot apply. 0 leaves linux.resources.cpu out.
            args.addAll(List.of("--cpu-shares", "0"));
        }
        args.add(OciArchive.IMAGE);
        args.add(id);
        args.addAll(List.of(command));
        return args;
    }

    private static boolean cpuControllerInCgroup2() {
        try {
            Path controllers = ContainerdDaemon.cgroup2MountPoint().orElseThrow().resolve("cgroup.controllers");
            return List.of(Files.readString(controllers).trim().split(" ")).contains("cpu");
        } catch (IOException e) {
            return false;
        }
    }

    private String status(String task) throws Exception {
        return containerd.ctr("task", "ls").stdout().lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 3 && f[0].equals(task)).map(f -> f[2]).findFirst().orElse("");
    }

    private void awaitStatus(String task, String wanted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!status(task).equals(wanted)) {
            assertTrue(System.nanoTime() < deadline, task + " never became " + wanted + ": " + containerd.ctr("task", "ls").stdout());
            Thread.sleep(200);
        }
    }

    /** The host pid of a running task's init, from {@code ctr task ls}. */
    private long initPid() throws Exception {
        return containerd.ctr("task", "ls").stdout().lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 3 && f[0].equals(id)).mapToLong(f -> Long.parseLong(f[1])).findFirst().orElseThrow();
    }

    /** Kills a detached task with SIGKILL and deletes it and its container, checking each step. */
    private void killAndRemove() throws Exception {
        ContainerdDaemon.Result kill = containerd.ctr("task", "kill", "-s", "SIGKILL", id);
        assertEquals(0, kill.exitCode(), kill.describe());
        awaitStatus(id, "STOPPED");
        ContainerdDaemon.Result delete = containerd.ctr("task", "delete", id);
        assertEquals(0, delete.exitCode(), delete.describe());
        assertTrue(delete.stderr().contains("exit code 137"), "the init's SIGKILL reached containerd: " + delete.describe());
        ContainerdDaemon.Result rm = containerd.ctr("container", "rm", id);
        assertEquals(0, rm.exitCode(), rm.describe());
    }

    @Test
    void runRmEchoPrintsExactlyItsOutput() throws Exception {
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("--rm"), "echo", "hi"));
        assertEquals(0, run.exitCode(), run.describe() + containerd.log());
        assertEquals("hi\n", run.stdout());
        // What the shim's clean-up runs once more after its own delete: as runc, --force of a gone id succeeds.
        String root = containerd.runtimeStateRoot().toString();
        Cli.Result forced = Cli.run(Mode.ROOT, List.of("--root", root, "delete", "--force", id));
        assertEquals(0, forced.exitCode(), forced.describe());
        Cli.Result plain = Cli.run(Mode.ROOT, List.of("--root", root, "delete", id));
        assertEquals(1, plain.exitCode(), plain.describe());
        assertEquals("bulwark: container \"" + id + "\" does not exist\n", plain.errors());
    }

    @Test
    void theWorkloadsExitCodeReachesCtr() throws Exception {
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("--rm"), "sh", "-c", "echo out; echo err >&2; exit 3"));
        assertEquals(3, run.exitCode(), run.describe());
        assertEquals("out\n", run.stdout());
        assertTrue(run.stderr().contains("err\n"), run.describe());
    }

    @Test
    void execRunsInTheRunningContainerWithItsExitCode() throws Exception {
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("-d"), "sleep", "1000"));
        assertEquals(0, run.exitCode(), run.describe() + containerd.log());
        assertEquals("RUNNING", status(id));
        ContainerdDaemon.Result exec = containerd.ctr("task", "exec", "--exec-id", "e1", id, "sh", "-c",
                "echo in-exec; cat /proc/1/cmdline | tr '\\0' ' '; echo; exit 4");
        assertEquals(4, exec.exitCode(), exec.describe());
        assertEquals("in-exec\nsleep 1000 \n", exec.stdout(), "the exec joined the container's pid namespace");
        ContainerdDaemon.Result ps = containerd.ctr("task", "ps", id);
        assertEquals(0, ps.exitCode(), ps.describe());
        assertTrue(ps.stdout().contains(Long.toString(initPid())), "ps --format json listed the init: " + ps.describe());
        killAndRemove();
    }

    @Test
    void killReachesTheInitAndItsExitStatusReachesTheForegroundCtr() throws Exception {
        Path out = containerd.directory().resolve(id + ".out");
        Process foreground = containerd.startCtr(out, run(List.of("--rm"), "sh", "-c",
                "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 1; done"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(out).contains("ready")) {
                assertTrue(foreground.isAlive() && System.nanoTime() < deadline, "the container never said ready: "
                        + Files.readString(out) + Files.readString(out.resolveSibling(out.getFileName() + ".err")));
                Thread.sleep(100);
            }
            ContainerdDaemon.Result kill = containerd.ctr("task", "kill", id); // SIGTERM
            assertEquals(0, kill.exitCode(), kill.describe());
            assertTrue(foreground.waitFor(60, TimeUnit.SECONDS), "ctr run returned after the kill");
            assertEquals(7, foreground.exitValue(), "the trap's exit status reached ctr");
            assertEquals("ready\ngot-term\n", Files.readString(out));
        } finally {
            foreground.destroyForcibly();
        }
    }

    @Test
    void sigkillOfADetachedTaskIsSeenAsExitStatus137() throws Exception {
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("-d"), "sleep", "1000"));
        assertEquals(0, run.exitCode(), run.describe() + containerd.log());
        long init = initPid();
        killAndRemove();
        assertFalse(Files.exists(Path.of("/proc", Long.toString(init))), "the init is gone (reaped by the shim)");
    }

    @Test
    void killAllReachesEveryProcessOfTheContainer() throws Exception {
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("-d"), "sh", "-c", "sleep 1000 & sleep 1000 & wait"));
        assertEquals(0, run.exitCode(), run.describe() + containerd.log());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Long> pids;
        do { // ps --format json: sh and both sleeps, host pids
            assertTrue(System.nanoTime() < deadline, containerd.ctr("task", "ps", id).describe());
            Thread.sleep(200);
            pids = containerd.ctr("task", "ps", id).stdout().lines().skip(1).map(l -> l.trim().split("\\s+")[0])
                    .map(Long::parseLong).toList();
        } while (pids.size() < 3);
        ContainerdDaemon.Result kill = containerd.ctr("task", "kill", "--all", "-s", "SIGKILL", id); // kill --all ID 9
        assertEquals(0, kill.exitCode(), kill.describe());
        awaitStatus(id, "STOPPED");
        long reaped = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // the shim, a subreaper, reaps them
        for (long pid : pids) {
            while (Files.exists(Path.of("/proc", Long.toString(pid))) && System.nanoTime() < reaped) {
                Thread.sleep(100);
            }
            assertFalse(Files.exists(Path.of("/proc", Long.toString(pid))), "process " + pid + " of the container is gone");
        }
        ContainerdDaemon.Result delete = containerd.ctr("task", "delete", id);
        assertEquals(0, delete.exitCode(), delete.describe());
        assertEquals(0, containerd.ctr("container", "rm", id).exitCode());
    }

    @Test
    void metricsReadTheContainersOwnCgroupV2() throws Exception {
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("-d"), "sleep", "1000"));
        assertEquals(0, run.exitCode(), run.describe() + containerd.log());
        String cgroup = Files.readString(Path.of("/proc", Long.toString(initPid()), "cgroup"));
        String own = "/" + containerd.namespace() + "/" + id;
        assertTrue(cgroup.lines().anyMatch(l -> l.startsWith("0::") && l.endsWith(own)),
                "the init is in its own cgroup v2 (linux.cgroupsPath " + own + "), so the shim's metrics are the container's: " + cgroup);
        ContainerdDaemon.Result metrics = containerd.ctr("task", "metrics", id);
        assertEquals(0, metrics.exitCode(), metrics.describe());
        assertTrue(metrics.stdout().contains("pids.current") && metrics.stdout().contains("memory.usage "),
                "the shim read cgroup v2 (v1 would print memory.usage_in_bytes): " + metrics.describe());
        Set<String> controllers = Set.of(Files.readString(containerCgroup().resolve("cgroup.controllers")).trim().split(" "));
        long pids = metricValue(metrics.stdout(), "pids.current");
        if (controllers.contains("pids")) {
            assertEquals(1, pids, "one process in the container: " + metrics.stdout());
        } else {
            // containerd reads pids.current only where the pids controller is enabled; a hybrid host's
            // cgroup v2 hierarchy has no controller at all (they are the v1 hierarchies'), so all values are 0.
            assertEquals(0, pids, metrics.stdout());
        }
        killAndRemove();
    }

    private static long metricValue(String table, String name) {
        return table.lines().map(l -> l.trim().split("\\s+")).filter(f -> f.length == 2 && f[0].equals(name))
                .mapToLong(f -> Long.parseLong(f[1])).findFirst().orElseThrow(() -> new AssertionError(name + " in " + table));
    }

    @Test
    void pauseFreezesTheContainerAndResumeThawsIt() throws Exception {
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("-d"), "sleep", "1000"));
        assertEquals(0, run.exitCode(), run.describe() + containerd.log());
        ContainerdDaemon.Result pause = containerd.ctr("task", "pause", id);
        assertEquals(0, pause.exitCode(), pause.describe());
        assertEquals("PAUSED", status(id));
        assertTrue(Files.readString(containerCgroup().resolve("cgroup.events")).contains("frozen 1"),
                "the cgroup is frozen (cgroup.freeze)");
        ContainerdDaemon.Result resume = containerd.ctr("task", "resume", id);
        assertEquals(0, resume.exitCode(), resume.describe());
        assertEquals("RUNNING", status(id));
        assertTrue(Files.readString(containerCgroup().resolve("cgroup.events")).contains("frozen 0"), "thawed");
        killAndRemove();
    }

    @Test
    void runTtyGivesTheWorkloadATerminal() throws Exception {
        assumeTrue(ContainerdDaemon.onPath("script"), "script(1) (util-linux) gives ctr -t the terminal it needs; not installed");
        Result result = inTerminal(containerd.ctrCommand(run(List.of("--rm", "-t"), "sh", "-c",
                "tty; [ -t 0 ] && echo stdin-is-a-tty; exit 5").toArray(String[]::new)));
        assertEquals(5, result.exitCode(), result.output());
        assertTrue(result.output().replace("\r", "").contains("/dev/pts/0\n"), "the container's own devpts: " + result.output());
        assertTrue(result.output().contains("stdin-is-a-tty"), result.output());
    }

    @Test
    void execTtyGivesTheExecATerminal() throws Exception {
        assumeTrue(ContainerdDaemon.onPath("script"), "script(1) (util-linux) gives ctr -t the terminal it needs; not installed");
        ContainerdDaemon.Result run = containerd.ctr(run(List.of("-d"), "sleep", "1000"));
        assertEquals(0, run.exitCode(), run.describe() + containerd.log());
        try {
            Result exec = inTerminal(containerd.ctrCommand("task", "exec", "-t", "--exec-id", "tty1", id, "sh", "-c",
                    "tty; [ -t 0 ] && echo stdin-is-a-tty; exit 6"));
            assertEquals(6, exec.exitCode(), exec.output());
            assertTrue(exec.output().contains("/dev/pts/"), exec.output());
            assertTrue(exec.output().contains("stdin-is-a-tty"), exec.output());
        } finally {
            killAndRemove();
        }
    }

    private record Result(int exitCode, String output) {
    }

    /**
     * Runs {@code command} with a pseudo-terminal as its stdin, stdout and stderr (script(1)), as a user's
     * terminal: ctr -t puts it in raw mode and relays it. script's own stdin stays an open pipe until the
     * command ends (at end of input script would type the terminal's EOF character into it).
     */
    private static Result inTerminal(List<String> command) throws Exception {
        Process script = new ProcessBuilder("script", "-q", "-e", "-c", String.join(" ",
                command.stream().map(ContainerdDaemon::quote).toList()), "/dev/null").redirectErrorStream(true).start();
        try {
            byte[] output = script.getInputStream().readAllBytes();
            assertTrue(script.waitFor(120, TimeUnit.SECONDS), "script returned");
            return new Result(script.exitValue(), new String(output));
        } finally {
            script.getOutputStream().close();
            script.destroyForcibly();
        }
    }

    /**
     * Rootless: containerd as bulwark-test under rootlesskit. Its shims and Bulwark are uid 0 of rootlesskit's
     * user namespace, not the host's root, so Bulwark leaves out what only the global root may do
     * (vm.memfd_noexec) and makes no cgroup where it may not (the v2 hierarchy is root's; ctr's cgroupsPath names
     * no limit). The container's root is bulwark-test on the host.
     */
    @Test
    void rootlessContainerdRunsExecsAndKills() throws Exception {
        Mode.ROOTLESS.assumeAvailable();
        ContainerdDaemon.assumeRootlessPossible();
        Set<String> mounts = Containers.hostMounts();
        Path dir;
        List<Long> leftovers;
        try (ContainerdDaemon rootless = ContainerdDaemon.start(Mode.ROOTLESS, Cli.launcherCommand())) {
            dir = rootless.directory();
            Path work = Files.createTempDirectory(dir, "image");
            Path archive = dir.resolve("busybox-oci.tar");
            OciArchive.write(archive, work);
            new ProcessBuilder("chown", "-R", Mode.rootlessUid() + ":" + Mode.rootlessGid(), archive.toString())
                    .inheritIO().start().waitFor();
            ContainerdDaemon.Result imported = rootless.ctr("image", "import", archive.toString());
            assertEquals(0, imported.exitCode(), imported.describe() + rootless.log());

            List<String> flags = new ArrayList<>(rootless.runtimeFlags());
            if (!cpuControllerInCgroup2()) {
                flags.addAll(List.of("--cpu-shares", "0"));
            }
            List<String> echo = new ArrayList<>(List.of("run", "--rm"));
            echo.addAll(flags);
            echo.addAll(List.of(OciArchive.IMAGE, id, "sh", "-c", "echo hi; cat /proc/self/uid_map; exit 3"));
            ContainerdDaemon.Result run = rootless.ctr(echo);
            assertEquals(3, run.exitCode(), run.describe() + rootless.log());
            assertTrue(run.stdout().startsWith("hi\n"), run.describe());
            String uidMap = run.stdout().lines().skip(1).findFirst().orElse("").trim();
            assertEquals(List.of("0", Integer.toString(Mode.rootlessUid()), "1"), List.of(uidMap.split("\\s+")),
                    "container root is bulwark-test on the host: " + run.stdout());

            String detached = id + "-d";
            List<String> sleep = new ArrayList<>(List.of("run", "-d"));
            sleep.addAll(flags);
            sleep.addAll(List.of(OciArchive.IMAGE, detached, "sleep", "1000"));
            ContainerdDaemon.Result started = rootless.ctr(sleep);
            assertEquals(0, started.exitCode(), started.describe() + rootless.log());
            ContainerdDaemon.Result exec = rootless.ctr("task", "exec", "--exec-id", "e1", detached, "sh", "-c",
                    "cat /proc/1/cmdline | tr '\\0' ' '; exit 4");
            assertEquals(4, exec.exitCode(), exec.describe());
            assertEquals("sleep 1000 ", exec.stdout());
            assertEquals(0, rootless.ctr("task", "kill", "-s", "SIGKILL", detached).exitCode());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!rootless.ctr("task", "ls").stdout().contains("STOPPED")) {
                assertTrue(System.nanoTime() < deadline, "the killed task never stopped");
                Thread.sleep(200);
            }
            ContainerdDaemon.Result delete = rootless.ctr("task", "delete", detached);
            assertTrue(delete.stderr().contains("exit code 137"), delete.describe());
            assertEquals(0, rootless.ctr("container", "rm", detached).exitCode());
            assertEquals("", rootless.ctr("task", "ls", "-q").stdout());
            try (var states = Files.list(dir.resolve("runc").resolve(rootless.namespace()))) {
                assertEquals(List.of(), states.toList(), "Bulwark's state directories removed");
            }
            assertEquals(0, rootless.ctr("image", "rm", OciArchive.IMAGE).exitCode());
        } finally {
            id = null; // checked here: the class's containerd never saw it
        }
        leftovers = Containers.processesMentioning(dir.toString());
        assertEquals(List.of(), leftovers, "no rootlesskit, containerd or shim left");
        assertFalse(Files.exists(dir), dir + " removed");
        assertEquals(Set.of(), mountsOf(Containers.mountsAddedSince(mounts), dir.toString(), "rootlesskit"),
                "host mount table: nothing of rootless containerd added");
    }
}
