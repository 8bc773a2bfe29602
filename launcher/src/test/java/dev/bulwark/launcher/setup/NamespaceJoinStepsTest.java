package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.spawn.SyscallTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the launcher checks and the order it compiles; needs no root (this process's own /proc/self/ns files). */
class NamespaceJoinStepsTest {
    private static final Spec BASE = HardenedDefaults.spec(DefaultsOptions.root());

    private static Linux linux(LinuxNamespace... namespaces) {
        return BASE.linux().withNamespaces(List.of(namespaces));
    }

    /** The step names compiled for {@code linux}, and whether the table forks. */
    private static List<String> compile(Linux linux, boolean[] forks) {
        try (SyscallTable table = new SyscallTable()) {
            NamespaceJoinSteps.join(new ChildSteps(table, -1), linux, new ChildProgram.IdMapStop(10, 11, 12, 13));
            forks[0] = table.forks();
            return table.steps();
        }
    }

    private static String refusal(Linux linux) {
        return assertThrows(LaunchException.class, () -> compile(linux, new boolean[1])).getMessage();
    }

    @Test
    void aFileOfAnotherTypeOrNoNamespaceIsRefusedNamingTheField() throws Exception {
        assertEquals("linux.namespaces[1].path: /proc/self/ns/net is a network namespace, not a pid namespace",
                refusal(linux(new LinuxNamespace("mount"), new LinuxNamespace("pid", "/proc/self/ns/net"))));
        assertEquals("linux.namespaces[0].path: /proc/self/ns/uts is a uts namespace, not an ipc namespace",
                refusal(linux(new LinuxNamespace("ipc", "/proc/self/ns/uts"), new LinuxNamespace("mount"))));
        Path plain = Files.createTempFile("not-a-namespace", "");
        try {
            assertEquals("linux.namespaces[1].path: " + plain + " is not a namespace file (ENOTTY (Inappropriate ioctl for device))",
                    refusal(linux(new LinuxNamespace("mount"), new LinuxNamespace("network", plain.toString()))));
        } finally {
            Files.delete(plain);
        }
        assertTrue(refusal(linux(new LinuxNamespace("mount"), new LinuxNamespace("uts", "/nonexistent/ns")))
                .startsWith("linux.namespaces[1].path: cannot open /nonexistent/ns: ENOENT"));
    }

    @Test
    void theLaunchersOwnMountNamespaceIsRefused() {
        assertTrue(refusal(linux(new LinuxNamespace("mount", "/proc/self/ns/mnt")))
                .startsWith("linux.namespaces[0].path: /proc/self/ns/mnt is the host's mount namespace"));
    }

    @Test
    void underANewUserNamespaceTheJoinsComeFirstThenTheUserNamespaceAndAStopForItsMapsThenTheRest() {
        Linux linux = linux(new LinuxNamespace("user"), new LinuxNamespace("mount"), new LinuxNamespace("pid"),
                new LinuxNamespace("network", "/proc/self/ns/net"));
        boolean[] forks = new boolean[1];
        List<String> steps = compile(linux, forks);
        assertEquals(List.of(
                "linux.namespaces[3].path: join the network namespace at /proc/self/ns/net",
                "linux.namespaces[3].path: close /proc/self/ns/net",
                "create the new user namespace",
                "stop for the id maps",
                "wait for the id maps",
                "close the id map stop pipe",
                "close the id map resume pipe",
                "create the new namespaces in the new user namespace",
                "fork the container's init into the pid namespace",
                "close the hand-over pipe"), steps);
        assertTrue(forks[0], "the new pid namespace is unshared, so the init is forked into it");
        Spec spec = BASE.withLinux(linux);
        assertTrue(ChildProgram.needsIdMapStop(spec));
        long namespaceFlags = CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWPID | CloneFlags.CLONE_NEWNET
                | CloneFlags.CLONE_NEWUTS | CloneFlags.CLONE_NEWIPC | CloneFlags.CLONE_NEWTIME;
        assertEquals(0, ChildProgram.cloneFlags(spec) & namespaceFlags, "clone makes none: the joins need the launcher's privileges");
        assertFalse(ChildProgram.needsIdMapStop(BASE.withLinux(linux(new LinuxNamespace("user"), new LinuxNamespace("network")))),
                "no join: no stop, the maps are written right after clone");
    }

    @Test
    void aJoinedUserNamespaceComesFirstAndTheNewOnesAreUnsharedUnderItThenTheInitIsForked() {
        Linux linux = linux(new LinuxNamespace("mount"), new LinuxNamespace("network", "/proc/self/ns/net"),
                new LinuxNamespace("pid"), new LinuxNamespace("user", "/proc/self/ns/user"));
        boolean[] forks = new boolean[1];
        List<String> steps = compile(linux, forks);
        assertEquals(List.of(
                "linux.namespaces[3].path: join the user namespace at /proc/self/ns/user",
                "linux.namespaces[3].path: close /proc/self/ns/user",
                "linux.namespaces[1].path: join the network namespace at /proc/self/ns/net",
                "linux.namespaces[1].path: close /proc/self/ns/net",
                "create the new namespaces in the joined user namespace",
                "fork the container's init into the pid namespace",
                "close the hand-over pipe"), steps);
        assertTrue(forks[0]);
        Spec spec = BASE.withLinux(linux);
        long namespaceFlags = CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWPID | CloneFlags.CLONE_NEWNET
                | CloneFlags.CLONE_NEWUTS | CloneFlags.CLONE_NEWIPC | CloneFlags.CLONE_NEWTIME;
        assertEquals(0, ChildProgram.cloneFlags(spec) & namespaceFlags, "clone makes none: they must belong to the joined user namespace");
    }

    @Test
    void onlyAPidNamespaceJoinedOrUnsharedNeedsTheFork() {
        boolean[] forks = new boolean[1];
        compile(linux(new LinuxNamespace("mount"), new LinuxNamespace("pid"), new LinuxNamespace("network", "/proc/self/ns/net")), forks);
        assertFalse(forks[0], "a network join alone: the cloned process is the init");
        List<String> steps = compile(linux(new LinuxNamespace("mount"), new LinuxNamespace("pid", "/proc/self/ns/pid")), forks);
        assertTrue(forks[0]);
        assertEquals("fork the container's init into the pid namespace", steps.get(2));
        long flags = ChildProgram.cloneFlags(BASE.withLinux(linux(new LinuxNamespace("mount"), new LinuxNamespace("pid", "/proc/self/ns/pid"))));
        assertEquals(CloneFlags.CLONE_NEWNS, flags & (CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWPID), "the joined type is left out of clone");
    }
}
