package dev.bulwark.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.launcher.runtime.LaunchStep;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SIGKILL of the launcher at every launch step (the test hook {@code BULWARK_TEST_PAUSE_AT_STEP} stops
 * it there): afterwards no process of the container survives, {@code state} and {@code list} say
 * stopped, {@code delete} removes the state directory, and no mount or cgroup is left.
 */
class LauncherKillTest {
    /** How long the parent-death signal may take on a loaded 2-core machine before the test calls it a leak. */
    private static final long DEATH_DEADLINE_MILLIS = 15_000;

    static Stream<Arguments> everyStepInBothModes() {
        return Arrays.stream(Mode.values()).flatMap(mode -> Arrays.stream(LaunchStep.values()).map(step -> Arguments.of(mode, step)));
    }

    @ParameterizedTest(name = "{0} killed at {1}")
    @MethodSource("everyStepInBothModes")
    void killedLauncherLeavesOnlyStateThatDeleteRemoves(Mode mode, LaunchStep step) throws Exception {
        mode.assumeAvailable();
        String id = "kill-" + step.stepName() + "-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid();
        Set<String> mountsBefore = Containers.hostMounts();
        // The id in the workload's command line: processesMentioning(id) finds the child before execve
        // (a clone of the launcher, whose arguments hold --id) and the workload after it.
        Cli.Running running = Cli.start(mode, Containers.runDefault(mode, id, "/bin/sh", "-c", "sleep 600; : " + id),
                Map.of(LaunchStep.ENVIRONMENT_VARIABLE, step.stepName()));
        awaitStderr(running, "paused at " + step.stepName());
        String root = Containers.stateRoot(mode).toString();
        Cli.Result paused = Cli.run(mode, List.of("state", id, "--root", root));
        assertEquals(0, paused.exitCode(), paused.describe());
        var pausedState = new ObjectMapper().readTree(paused.stdout());
        assertEquals(step.compareTo(LaunchStep.RUNNING) < 0 ? "creating" : "running", pausedState.get("status").asText());
        if (step.compareTo(LaunchStep.CHILD_CLONED) >= 0) {
            assertTrue(pausedState.get("pid").asInt() > 0, "the child is recorded as soon as it exists: " + paused.stdout());
        }
        long launcher = running.process().pid();
        assertEquals(0, new ProcessBuilder("kill", "-KILL", Long.toString(launcher)).start().waitFor());
        Cli.Result killed = running.await(30);
        assertEquals(137, killed.exitCode(), killed.describe());

        long died = awaitNoProcessOf(id);
        awaitExited(pausedState.path("pid").asInt()); // a native `state` is fast enough to see the init still exiting
        System.out.printf("LauncherKillTest: %s %s: container processes gone %d ms after the launcher's SIGKILL%n",
                mode, step.stepName(), died);
        Cli.Result state = Cli.run(mode, List.of("state", id, "--root", root));
        assertEquals(0, state.exitCode(), state.describe());
        assertEquals("stopped", new ObjectMapper().readTree(state.stdout()).get("status").asText(), state.stdout());
        Cli.Result list = Cli.run(mode, List.of("list", "--root", root));
        assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains(" stopped ")), list.describe());

        Cli.Result delete = Cli.run(mode, List.of("delete", id, "--root", root));
        assertEquals(0, delete.exitCode(), delete.describe());
        assertEquals("", delete.errors(), delete.describe());
        Containers.assertNothingLeft(mode, id, mountsBefore);
        assertEquals(List.of(), cgroupsNamed(id), "no cgroup of " + id + " left");
        Cli.Result gone = Cli.run(mode, List.of("state", id, "--root", root));
        assertEquals(1, gone.exitCode(), gone.describe());
    }

    private static void awaitStderr(Cli.Running running, String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!running.stderrSoFar().contains(text)) {
            if (!running.process().isAlive() || System.currentTimeMillis() > deadline) {
                running.process().destroyForcibly();
                fail("the launcher did not pause (\"" + text + "\"); stderr: " + running.stderrSoFar());
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits until {@code pid} (a recorded init) has exited: no /proc entry, or a zombie. Its command line empties
     * first, while the kernel still tears it down, and `state` rightly counts it as running until then.
     */
    private static void awaitExited(int pid) throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + 10_000;
        Path stat = Path.of("/proc", Integer.toString(pid), "stat");
        while (pid > 0) {
            String text;
            try {
                text = Files.readString(stat);
            } catch (java.nio.file.NoSuchFileException e) {
                return;
            }
            char state = text.charAt(text.lastIndexOf(')') + 2);
            if (state == 'Z' || state == 'X') {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                fail("the init (pid " + pid + ") is still in state " + state + " 10 s after the launcher's SIGKILL");
            }
            Thread.sleep(5);
        }
    }

    /** Milliseconds until no process mentions {@code id}; fails after the deadline. */
    private static long awaitNoProcessOf(String id) throws InterruptedException {
        long start = System.nanoTime();
        while (!Containers.processesMentioning(id).isEmpty()) {
            long elapsed = (System.nanoTime() - start) / 1_000_000;
            if (elapsed > DEATH_DEADLINE_MILLIS) {
                fail("processes of " + id + " survive the launcher by " + elapsed + " ms: " + Containers.processesMentioning(id));
            }
            Thread.sleep(10);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Directories named ID or bulwark-ID anywhere in the cgroup v2 hierarchy. */
    static List<Path> cgroupsNamed(String id) throws IOException {
        List<Path> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ");
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                Path mount = Path.of(halves[0].split(" ")[4]);
                try (Stream<Path> walk = Files.walk(mount, 8)) {
                    walk.filter(Files::isDirectory).filter(p -> p.getFileName() != null
                            && (p.getFileName().toString().equals(id) || p.getFileName().toString().equals("bulwark-" + id)))
                            .forEach(found::add);
                }
            }
        }
        return found;
    }
}
