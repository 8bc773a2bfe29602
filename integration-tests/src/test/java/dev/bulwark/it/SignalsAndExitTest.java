package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Signals sent to the launcher reach the workload; a workload killed by signal N gives 128+N. */
class SignalsAndExitTest {
    private static int counter;

    private static String newId(Mode mode) {
        return "sig-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** A workload that reports each forwarded signal by name and exits with a per-signal status. */
    private static final String TRAPPER = "for s in INT TERM HUP QUIT USR1 USR2; do trap \"echo got-$s\" $s; done; "
            + "trap 'echo got-TERM; exit 7' TERM; echo ready; while true; do sleep 0.05; done";

    @ParameterizedTest
    @EnumSource(Mode.class)
    void forwardedSignalsReachTheWorkload(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", TRAPPER));
        try {
            Cli.Running running = Cli.start(mode, Containers.runBundle(mode, bundle, id));
            awaitOutput(running, "ready");
            long launcher = running.process().pid();
            for (String signal : List.of("INT", "HUP", "QUIT", "USR1", "USR2")) {
                kill(signal, launcher);
                awaitOutput(running, "got-" + signal);
            }
            kill("TERM", launcher);
            Cli.Result result = running.await(30);
            assertEquals(7, result.exitCode(), "the trap's exit status: " + result.describe());
            assertTrue(result.stdout().contains("got-TERM"), result.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void killedBySignalGives128PlusN(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "echo ready; while true; do sleep 0.05; done"));
        try {
            Cli.Running running = Cli.start(mode, Containers.runBundle(mode, bundle, id));
            awaitOutput(running, "ready");
            // Inspect from outside: `bulwark state` names the container's init on the host.
            Cli.Result state = Cli.run(mode, List.of("state", id, "--root", Containers.stateRoot(mode).toString()));
            assertEquals(0, state.exitCode(), state.describe());
            JsonNode json = new ObjectMapper().readTree(state.stdout());
            assertEquals("running", json.get("status").asText());
            assertEquals(id, json.get("id").asText());
            int pid = json.get("pid").asInt();
            assertTrue(pid > 1, state.stdout());
            assertTrue(json.get("namespaces").get("pid").asText().startsWith("pid:["), state.stdout());
            kill("KILL", pid);
            Cli.Result result = running.await(30);
            assertEquals(128 + 9, result.exitCode(), result.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void builtInDefaultRunsACommandFromTheHostsUsr(Mode mode) {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Cli.Result result = Cli.run(mode, Containers.runDefault(mode, id, "/bin/sh", "-c",
                "echo pid=$$; grep ' /usr ' /proc/mounts; echo data > /tmp/f && cat /tmp/f; touch /usr/x 2>&1; exit 3"));
        assertEquals(3, result.exitCode(), result.describe());
        assertTrue(result.stdout().contains("pid=1"), result.describe());
        assertTrue(result.stdout().lines().anyMatch(l -> l.contains(" /usr ") && l.contains(" ro,")), "host /usr read-only: " + result.describe());
        assertTrue(result.stdout().contains("\ndata\n"), "/tmp is writable: " + result.describe());
        assertTrue(result.stdout().contains("Read-only file system"), result.describe());
        Containers.assertNothingLeft(mode, id, mountsBefore);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anIdInUseIsRefused(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Cli.Running first = Cli.start(mode, Containers.runDefault(mode, id, "/bin/sh", "-c", "echo ready; sleep 30"));
        try {
            awaitOutput(first, "ready");
            Cli.Result second = Cli.run(mode, Containers.runDefault(mode, id, "/bin/true"));
            assertEquals(125, second.exitCode(), second.describe());
            assertTrue(second.errors().startsWith("bulwark: --id " + id + ": a container with this id is running"), second.describe());
        } finally {
            first.process().destroyForcibly(); // SIGKILL: its container dies with it (sh as pid 1 ignores TERM)
            first.await(30);
            Cli.run(mode, List.of("delete", id, "--root", Containers.stateRoot(mode).toString()));
            assertFalse(java.nio.file.Files.exists(Containers.stateRoot(mode).resolve(id)), "state of the killed launcher removed");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theLauncherIsNotDumpableWhileItHoldsAContainer(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Cli.Running running = Cli.start(mode, Containers.runDefault(mode, id, "/bin/sh", "-c", "echo ready; sleep 30"));
        try {
            awaitOutput(running, "ready"); // the container runs: the launcher is past writing the id maps
            // The kernel gives the /proc files of a non-dumpable process to root: no other process of the
            // user (nor the container) can ptrace the launcher or read its memory.
            Path environ = Path.of("/proc", Long.toString(running.process().pid()), "environ");
            assertEquals(0, (Integer) java.nio.file.Files.getAttribute(environ, "unix:uid"), environ + " owned by root");
        } finally {
            running.process().destroyForcibly(); // SIGKILL: the container dies with it
            running.await(30);
            Cli.run(mode, List.of("delete", id, "--root", Containers.stateRoot(mode).toString()));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void containerDiesWithItsKilledLauncherAndDeleteClearsItsState(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        String root = Containers.stateRoot(mode).toString();
        Cli.Running running = Cli.start(mode, Containers.runDefault(mode, id, "/bin/sh", "-c", "echo ready; sleep 60"));
        awaitOutput(running, "ready");
        int containerPid = new ObjectMapper().readTree(Cli.run(mode, List.of("state", id, "--root", root)).stdout()).get("pid").asInt();
        kill("KILL", running.process().pid());
        running.await(30);
        long deadline = System.currentTimeMillis() + 10_000;
        while (ProcessHandle.of(containerPid).map(ProcessHandle::isAlive).orElse(false) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(ProcessHandle.of(containerPid).map(ProcessHandle::isAlive).orElse(false),
                "PR_SET_PDEATHSIG: the container died with its launcher");
        Cli.Result list = Cli.run(mode, List.of("list", "--root", root));
        assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(id) && l.contains("stopped")), list.describe());
        Cli.Result delete = Cli.run(mode, List.of("delete", id, "--root", root));
        assertEquals(0, delete.exitCode(), delete.describe());
        assertFalse(java.nio.file.Files.exists(Containers.stateRoot(mode).resolve(id)), "state directory removed");
    }

    static void awaitOutput(Cli.Running running, String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!running.stdoutSoFar().contains(text)) {
            if (!running.process().isAlive() || System.currentTimeMillis() > deadline) {
                fail("no \"" + text + "\" from the container; stdout: " + running.stdoutSoFar() + " stderr: " + running.stderrSoFar());
            }
            Thread.sleep(20);
        }
    }

    static void kill(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    }
}
