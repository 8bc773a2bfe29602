package dev.bulwark.launcher.hooks;

import dev.bulwark.config.model.Hook;
import dev.bulwark.config.model.Hooks;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hooks that run in the runtime's namespaces, as real processes of this (any) user: order, the state on
 * stdin, args with args[0] as argv[0], only the hook's env, no inherited descriptors, timeouts (the hook's
 * process group killed), and which kinds fail the operation. The in-container kinds are covered by the
 * integration tests (HooksTest), which need containers.
 */
class HookRunnerTest {
    private static final String STATE = "{\"ociVersion\": \"1.2.0\", \"id\": \"c1\", \"status\": \"creating\", \"pid\": 42}";

    @TempDir
    Path dir;

    @Test
    void runsInOrderWithTheStateOnStdinItsArgsAndOnlyItsEnv() throws IOException {
        String first = "cat > " + dir + "/state; tr '\\0' ' ' < /proc/$$/cmdline > " + dir + "/args; env > " + dir + "/env; "
                + "for fd in /proc/$$/fd/*; do readlink $fd; done > " + dir + "/fds; echo one >> " + dir + "/log";
        Hooks hooks = kinds(List.of(new Hook("/bin/sh", List.of("argv-zero", "-c", first, "x", "arg1"), List.of("ONLY=this"), 10),
                sh("echo two >> " + dir + "/log")));
        Path marker = Files.writeString(dir.resolve("open-in-the-launcher"), "x");
        try (var open = Files.newInputStream(marker)) { // an fd of this JVM while the hooks run
            new HookRunner(hooks).run(HookKind.CREATE_RUNTIME, STATE, 0, () -> false);
        }
        assertEquals(List.of("one", "two"), Files.readAllLines(dir.resolve("log")));
        assertEquals(STATE, Files.readString(dir.resolve("state")));
        assertTrue(Files.readString(dir.resolve("args")).startsWith("argv-zero -c "), Files.readString(dir.resolve("args")));
        assertTrue(Files.readString(dir.resolve("args")).endsWith(" x arg1 "), Files.readString(dir.resolve("args")));
        List<String> env = Files.readAllLines(dir.resolve("env"));
        assertTrue(env.contains("ONLY=this"), env.toString());
        assertTrue(env.stream().allMatch(v -> v.startsWith("ONLY=") || v.startsWith("PWD=")), "nothing of this JVM's env: " + env);
        List<String> fds = Files.readAllLines(dir.resolve("fds"));
        assertTrue(fds.stream().noneMatch(target -> target.contains("open-in-the-launcher")), "no descriptor of the launcher: " + fds);
        assertTrue(fds.size() <= 4, "0-2 and the shell's saved copy of stdout for its redirection: " + fds);
    }

    @Test
    void aFailingCreateHookStopsTheListWithOneLineNamingIt() {
        Hooks hooks = kinds(List.of(sh("true"), sh("exit 3"), sh("touch " + dir + "/third")));
        LaunchException e = assertThrows(LaunchException.class,
                () -> new HookRunner(hooks).run(HookKind.CREATE_RUNTIME, STATE, 0, () -> false));
        assertEquals("hooks.createRuntime[1]: /bin/sh: exited with status 3", e.getMessage());
        assertFalse(Files.exists(dir.resolve("third")));
    }

    @Test
    void aTimeoutKillsTheHookAndWhatItStarted() throws Exception {
        String sleep = "sleep 30." + ProcessHandle.current().pid();
        Hooks hooks = kinds(List.of(new Hook("/bin/sh", List.of("sh", "-c", sleep + " & wait"), List.of(), 1)));
        long started = System.nanoTime();
        LaunchException e = assertThrows(LaunchException.class,
                () -> new HookRunner(hooks).run(HookKind.CREATE_RUNTIME, STATE, 0, () -> false));
        assertTrue((System.nanoTime() - started) / 1_000_000 < 10_000, "not waited for");
        assertEquals("hooks.createRuntime[0]: /bin/sh: did not finish within its timeout of 1 s (killed)", e.getMessage());
        Thread.sleep(200); // SIGKILL of the group is delivered at once; the orphaned sleep is reaped by init
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains(sleep)),
                "the hook's process group was killed");
    }

    @Test
    void aMissingProgramAndASignalAreNamed() {
        LaunchException missing = assertThrows(LaunchException.class, () -> new HookRunner(kinds(List.of(
                new Hook("/nonexistent/hook", List.of(), List.of(), null)))).run(HookKind.PRESTART, STATE, 0, () -> false));
        assertEquals("hooks.prestart[0]: /nonexistent/hook: cannot be executed: ENOENT (No such file or directory)",
                missing.getMessage());
        LaunchException killed = assertThrows(LaunchException.class, () -> new HookRunner(kinds(List.of(sh("kill -9 $$"))))
                .run(HookKind.PRESTART, STATE, 0, () -> false));
        assertEquals("hooks.prestart[0]: /bin/sh: killed by signal 9", killed.getMessage());
    }

    @Test
    void poststartAndPoststopFailuresAreWarningsAndTheRestRun() {
        Hooks hooks = kinds(List.of(new Hook("/bin/false", List.of("false"), List.of(), null), sh("touch " + dir + "/next")));
        new HookRunner(hooks).run(HookKind.POSTSTOP, STATE, 0, () -> false);
        new HookRunner(hooks).run(HookKind.POSTSTART, STATE, 0, () -> false);
        assertTrue(Files.exists(dir.resolve("next")));
    }

    @Test
    void knowsWhichKindsAConfigHas() {
        HookRunner none = new HookRunner(null);
        assertFalse(none.has(HookKind.values()));
        none.run(HookKind.CREATE_RUNTIME, STATE, 0, () -> false); // nothing to run
        HookRunner some = new HookRunner(new Hooks(List.of(), List.of(), List.of(), List.of(sh("true")), List.of(), List.of()));
        assertTrue(some.has(HookKind.START_CONTAINER));
        assertFalse(some.has(HookKind.PRESTART, HookKind.CREATE_RUNTIME, HookKind.CREATE_CONTAINER));
    }

    @Test
    void aHookJoiningAUserNamespaceDropsTheLaunchersGroupsBeforeTheJoinWhereSetgroupsMayBeDenied() throws Exception {
        Assumptions.assumeTrue(dev.bulwark.nativ.Syscalls.geteuid() == 0,
                "needs root: an unprivileged launcher has no groups to lose beyond its own (its setgroups may fail EPERM)");
        // unshare -r writes "deny" to /proc/PID/setgroups before its maps, as any rootless runtime does
        Process owner = new ProcessBuilder("unshare", "-U", "-r", "sleep", "60").start();
        try {
            Path ns = Path.of("/proc", Long.toString(owner.pid()), "ns", "user");
            for (int i = 0; i < 100 && Files.readSymbolicLink(ns).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/user"))); i++) {
                Thread.sleep(20);
            }
            // This machine's root has no supplementary groups to observe, so the table itself is checked.
            try (ContainerNamespaces namespaces = ContainerNamespaces.of((int) owner.pid(), owner::isAlive)) {
                var steps = new dev.bulwark.launcher.setup.ChildSteps(new dev.bulwark.nativ.spawn.SyscallTable(), -1);
                try (var table = steps.table()) {
                    HookProcess.compile(steps, sh("true"), namespaces, 0, 10);
                    List<dev.bulwark.nativ.spawn.SyscallTable.Entry> entries = java.util.stream.IntStream.range(0, table.size())
                            .mapToObj(table::entry).toList();
                    int drop = indexOf(entries, "drop supplementary groups");
                    int join = indexOf(entries, "join the container's user namespace");
                    assertTrue(drop >= 0 && drop < join, "setgroups before setns(user): " + drop + " " + join);
                    assertEquals("", entries.get(drop).judgement(), "root's setgroups tolerates nothing");
                    assertEquals(1, entries.stream().filter(e -> e.step().equals("drop supplementary groups")).count());
                }
            }
        } finally {
            owner.destroyForcibly().waitFor();
        }
    }

    private static int indexOf(List<dev.bulwark.nativ.spawn.SyscallTable.Entry> entries, String step) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).step().equals(step)) {
                return i;
            }
        }
        return -1;
    }

    private static Hook sh(String script) {
        return new Hook("/bin/sh", List.of("sh", "-c", script), List.of(), 10);
    }

    /** The same list for every kind: each test picks the kind it runs. */
    private static Hooks kinds(List<Hook> list) {
        return new Hooks(list, list, list, list, list, list);
    }
}
