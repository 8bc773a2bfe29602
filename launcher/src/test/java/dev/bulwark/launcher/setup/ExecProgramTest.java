package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.MountApi;
import dev.bulwark.nativ.spawn.SyscallTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The order of exec's table (ExecTest runs it for real): compiled, never run; the fd numbers are placeholders. */
class ExecProgramTest {
    private static final List<ExecProgram.Join> JOINS = List.of(new ExecProgram.Join("user", CloneFlags.CLONE_NEWUSER, 40),
            new ExecProgram.Join("pid", CloneFlags.CLONE_NEWPID, 41), new ExecProgram.Join("mnt", CloneFlags.CLONE_NEWNS, 42));

    @TempDir
    Path bundle;

    @Test
    void nonDumpableThenCgroupThenNamespacesThenForkThenTheInitsConfinementThenExecve() throws IOException {
        List<String> steps = compile(43);
        assertEquals("make the process non-dumpable", steps.get(0), "before anything a container could reach: " + steps);
        assertEquals(List.of("die with the launcher", "check the launcher is alive"), steps.subList(1, 3), steps.toString());
        assertEquals("join the container's cgroup", steps.get(3), "before anything runs: " + steps);
        int user = steps.indexOf("join the container's user namespace");
        int pid = steps.indexOf("join the container's pid namespace");
        int mnt = steps.indexOf("join the container's mnt namespace");
        int fork = steps.indexOf("fork into the container's pid namespace");
        int nnp = steps.indexOf("set no_new_privs");
        int capset = indexStartingWith(steps, "set capabilities");
        int uid = steps.indexOf("set uid 0");
        int exec = indexStartingWith(steps, "execute ");
        assertTrue(0 < user && user < pid && pid < mnt && mnt < fork, steps.toString());
        assertTrue(fork < indexStartingWith(steps, "change directory to /") && fork < nnp, "the rest in the forked process: " + steps);
        // (this spec has no linux.seccomp: ExecTest sees the filter of a real container, installed last)
        assertTrue(nnp < uid && uid < capset && capset < exec, steps.toString());
        assertEquals(-1, indexStartingWith(steps, "mount"), "no mount: the container has its mounts");
        assertEquals(-1, indexStartingWith(steps, "set hostname"), "nothing namespace-wide again");
    }

    @Test
    void withoutACgroupNothingIsWritten() throws IOException {
        List<String> steps = compile(-1);
        assertFalse(steps.contains("join the container's cgroup"), steps.toString());
        assertEquals("make the process non-dumpable", steps.get(0), steps.toString());
        assertTrue(steps.get(3).startsWith("drop supplementary groups"), steps.toString());
    }

    @Test
    void theLaunchersFdsAreClosedRightAfterTheJoins() throws IOException {
        List<String> steps = compile(43);
        int fork = steps.indexOf("fork into the container's pid namespace");
        // the failure pipe (44) stays open until execve, the launcher's /proc (45) for the labels; nothing else
        assertEquals(List.of("close inherited fds 3-43", "close inherited fds 46 and up", "close the launcher's /proc"),
                steps.subList(fork + 3, fork + 6), "right after the fork, its hand-over close and the death signal's: " + steps);
    }

    @Test
    void theProcessDiesWithTheLauncherOnlyUntilTheJoins() throws IOException {
        ChildSteps steps = compileSteps(43, -1);
        try {
            List<String> names = steps.table().steps();
            int set = names.indexOf("die with the launcher");
            int check = names.indexOf("check the launcher is alive");
            int cleared = names.indexOf("no longer die with the launcher");
            int fork = names.indexOf("fork into the container's pid namespace");
            assertTrue(0 < set && set + 1 == check && check < names.indexOf("join the container's cgroup"),
                    "set and checked before the frozen cgroup can stop it: " + names);
            assertEquals(fork + 2, cleared, "cleared right after the joins (and the fork's hand-over): " + names);
            assertEquals("must return " + dev.bulwark.nativ.Syscalls.getpid(), steps.table().entry(check).judgement(),
                    "the parent is the launcher, else it died before the signal was set");
        } finally {
            steps.table().close();
        }
    }

    @Test
    void withATerminalTheHostsProcIsClosedBeforeThePtyIsOpenedWithoutFollowingSymlinks() throws IOException {
        ChildSteps steps = compileSteps(43, 46);
        try {
            List<PlannedStep> plan = steps.plan().steps();
            int closeProc = -1;
            int open = -1;
            for (PlannedStep step : plan) {
                if (step.name().equals("close the launcher's /proc")) {
                    closeProc = step.index();
                } else if (step.syscall().equals("openat2") && step.name().contains("/dev/pts/ptmx")) {
                    open = step.index();
                }
            }
            assertTrue(closeProc >= 0 && open >= 0, plan.toString());
            assertTrue(closeProc < open, "no host /proc fd (a magic link out of the container) while the pty's path is resolved: " + plan);
            long fdsClosed = plan.subList(0, open).stream().filter(s -> s.name().startsWith("close inherited fds")).count();
            assertTrue(fdsClosed > 0, "the launcher's other fds are closed before it too: " + plan);
            SyscallTable.Entry openEntry = steps.table().entry(indexOfName(steps, plan.get(open).name()));
            long resolve = NativeMemory.getLong(openEntry.argument(2) + 16);
            assertEquals(MountApi.RESOLVE_NO_SYMLINKS | MountApi.RESOLVE_NO_MAGICLINKS,
                    resolve & (MountApi.RESOLVE_NO_SYMLINKS | MountApi.RESOLVE_NO_MAGICLINKS), "no symlink, no magic link followed");
            assertEquals("ioctl", plan.get(open + 1).syscall(), "proven a pty master (TIOCGPTN) right after: " + plan);
        } finally {
            steps.table().close();
        }
    }

    private static int indexOfName(ChildSteps steps, String name) {
        return steps.table().steps().indexOf(name);
    }

    private List<String> compile(int cgroupProcs) throws IOException {
        ChildSteps steps = compileSteps(cgroupProcs, -1);
        try {
            return steps.table().steps();
        } finally {
            steps.table().close();
        }
    }

    private ChildSteps compileSteps(int cgroupProcs, int consoleSocket) throws IOException {
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs")).toRealPath();
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        ContainerContext context = new ContainerContext("t", spec, bundle, rootfs, false, false, 0, 0, List.of());
        return ExecProgram.compile(new ExecProgram.Request(context, JOINS, cgroupProcs, 44, true, 45, consoleSocket, null));
    }

    private static int indexStartingWith(List<String> steps, String prefix) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
