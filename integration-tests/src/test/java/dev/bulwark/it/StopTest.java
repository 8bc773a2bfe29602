package dev.bulwark.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static dev.bulwark.it.SignalsAndExitTest.awaitOutput;
import static dev.bulwark.it.SignalsAndExitTest.kill;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Stopping a foreground container (issue 10): SIGTERM/SIGINT to the launcher reach the workload; one
 * that ignores them (pid 1 without a handler, which the kernel never kills by signal) is killed at the
 * stop timeout; {@code --init} runs tini as pid 1, which forwards signals and reaps orphans.
 */
class StopTest {
    private static int counter;

    private static String newId(Mode mode) {
        return "stop-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** The built-in default's arguments with {@code flags} before the "--". */
    private static List<String> runDefault(Mode mode, String id, List<String> flags, String... command) {
        List<String> args = Containers.runDefault(mode, id, command);
        args.addAll(1, flags);
        return args;
    }

    private record Stopped(Cli.Result result, long millis) {
    }

    /** Sends {@code signal} to the launcher and waits for it to exit, timing how long that takes. */
    private static Stopped signalAndAwait(Cli.Running running, String signal) throws Exception {
        long start = System.nanoTime();
        kill(signal, running.process().pid());
        Cli.Result result = running.await(60);
        return new Stopped(result, (System.nanoTime() - start) / 1_000_000);
    }

    private static void assertNothingLeft(Mode mode, String id, Set<String> mountsBefore) throws IOException {
        Containers.assertNothingLeft(mode, id, mountsBefore);
        assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup of " + id + " left");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aPid1WithoutAHandlerIsKilledAtTheStopTimeout(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        // exec: sleep is pid 1 and has no SIGTERM handler, so the kernel drops the relayed SIGTERM
        Cli.Running running = Cli.start(mode, runDefault(mode, id, List.of("--stop-timeout", "2"),
                "/bin/sh", "-c", "echo ready; exec sleep 1000"));
        awaitOutput(running, "ready");
        int init = initPid(mode, id);
        Stopped stopped = signalAndAwait(running, "TERM");
        System.out.printf("StopTest: %s: SIGTERM to exit %d ms with --stop-timeout 2%n", mode, stopped.millis());
        assertEquals(137, stopped.result().exitCode(), "killed at the stop timeout: " + stopped.result().describe());
        assertTrue(stopped.millis() >= 1_900, "not before the stop timeout: " + stopped.millis() + " ms");
        assertTrue(stopped.millis() < 10_000, "soon after the stop timeout: " + stopped.millis() + " ms");
        assertTrue(stopped.result().stderr().contains("still runs at the stop timeout"), stopped.result().describe());
        assertNothingLeft(mode, id, mountsBefore);
        assertFalse(ProcessHandle.of(init).isPresent(), "the container's init (sleep, host pid " + init + ") is gone");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aWorkloadThatTrapsTermExitsWithItsOwnStatus(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Cli.Running running = Cli.start(mode, runDefault(mode, id, List.of(),
                "/bin/sh", "-c", "trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done; : " + id));
        awaitOutput(running, "ready");
        Stopped stopped = signalAndAwait(running, "TERM");
        assertEquals(3, stopped.result().exitCode(), "the trap's status: " + stopped.result().describe());
        assertTrue(stopped.millis() < 5_000, "promptly, long before the default stop timeout: " + stopped.millis() + " ms");
        assertNothingLeft(mode, id, mountsBefore);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aBundleThatTrapsIntExitsWithItsOwnStatus(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c",
                "trap 'exit 4' INT; echo ready; while :; do sleep 0.05; done"));
        try {
            List<String> args = Containers.runBundle(mode, bundle, id);
            args.addAll(1, List.of("--stop-timeout", "30"));
            Cli.Running running = Cli.start(mode, args);
            awaitOutput(running, "ready");
            Stopped stopped = signalAndAwait(running, "INT");
            assertEquals(4, stopped.result().exitCode(), "the trap's status: " + stopped.result().describe());
            assertTrue(stopped.millis() < 5_000, "promptly: " + stopped.millis() + " ms");
            assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aSecondSigintKillsAtOnce(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Cli.Running running = Cli.start(mode, runDefault(mode, id, List.of("--stop-timeout", "60"),
                "/bin/sh", "-c", "trap 'echo got-INT' INT; echo ready; while :; do sleep 0.05; done; : " + id));
        awaitOutput(running, "ready");
        kill("INT", running.process().pid());
        awaitOutput(running, "got-INT"); // relayed, and ignored by the workload: the 60 s stop timeout runs
        Stopped stopped = signalAndAwait(running, "INT");
        assertEquals(137, stopped.result().exitCode(), stopped.result().describe());
        assertTrue(stopped.millis() < 10_000, "at once, not at the 60 s stop timeout: " + stopped.millis() + " ms");
        assertNothingLeft(mode, id, mountsBefore);
    }

    /** Orphans whose parent exits at once; they exit 0.2 s later, reparented to the namespace's pid 1. */
    private static final String ORPHANS = "for i in 1 2 3; do (sleep 0.2 &); done; echo ready; ";

    @ParameterizedTest
    @EnumSource(Mode.class)
    void initReapsOrphansAndRelaysTermToTheCommand(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        // Control: pid 1 is sleep, which never waits, so the orphans stay zombies (the count below can fail).
        Cli.Running bare = Cli.start(mode, runDefault(mode, id, List.of("--stop-timeout", "0"),
                "/bin/sh", "-c", ORPHANS + "exec sleep 1000"));
        awaitOutput(bare, "ready");
        int bareInit = initPid(mode, id);
        assertEquals(3, awaitZombies(mode, id, 3), "without --init the orphans stay zombies");
        assertEquals(137, signalAndAwait(bare, "TERM").result().exitCode(), "--stop-timeout 0 kills at once");
        assertNothingLeft(mode, id, mountsBefore);
        assertFalse(ProcessHandle.of(bareInit).isPresent(), "the container's init (host pid " + bareInit + ") is gone");

        String initId = newId(mode);
        Cli.Running init = Cli.start(mode, runDefault(mode, initId, List.of("--init"),
                "/bin/sh", "-c", ORPHANS + "exec sleep 1000; : " + initId)); // tini's arguments name the id
        awaitOutput(init, "ready");
        assertEquals(0, awaitZombies(mode, initId, 3), "with --init, tini reaps the orphans");
        Stopped stopped = signalAndAwait(init, "TERM");
        assertEquals(128 + 15, stopped.result().exitCode(), "tini relays SIGTERM to sleep, which dies of it: "
                + stopped.result().describe());
        assertTrue(stopped.millis() < 5_000, "promptly, long before the default stop timeout: " + stopped.millis() + " ms");
        assertNothingLeft(mode, initId, mountsBefore);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theInitAnnotationRunsTiniInABundle(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> {
            java.util.Map<String, String> annotations = new java.util.LinkedHashMap<>(spec.annotations());
            annotations.put("dev.bulwark.init", "tini");
            return Containers.withArgs(spec, "/bin/sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo")
                    .withAnnotations(annotations);
        });
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(result.stdout().startsWith("/dev/init -s -g -- /bin/sh -c"), "tini is pid 1: " + result.describe());
            assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    /** The host pid of container {@code id}'s init, from {@code bulwark state}. */
    private static int initPid(Mode mode, String id) throws Exception {
        Cli.Result state = Cli.run(mode, List.of("state", id, "--root", Containers.stateRoot(mode).toString()));
        assertEquals(0, state.exitCode(), state.describe());
        return new ObjectMapper().readTree(state.stdout()).get("pid").asInt();
    }

    /** Zombies in the pid namespace of container {@code id}, once {@code expected} appear or 2 s pass (then 0.5 s more). */
    private static int awaitZombies(Mode mode, String id, int expected) throws Exception {
        int init = initPid(mode, id);
        Path namespace = Files.readSymbolicLink(Path.of("/proc", Integer.toString(init), "ns", "pid"));
        long deadline = System.currentTimeMillis() + 2_000;
        int zombies = zombiesIn(namespace);
        while (zombies < expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            zombies = zombiesIn(namespace);
        }
        Thread.sleep(500); // the orphans have exited for long: whatever is still a zombie stays one
        return zombiesIn(namespace);
    }

    private static int zombiesIn(Path pidNamespace) throws IOException {
        List<Path> processes = new ArrayList<>();
        try (Stream<Path> proc = Files.list(Path.of("/proc"))) {
            proc.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(processes::add);
        }
        int zombies = 0;
        for (Path process : processes) {
            try {
                if (!Files.readSymbolicLink(process.resolve("ns/pid")).equals(pidNamespace)) {
                    continue;
                }
                String stat = Files.readString(process.resolve("stat"));
                if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
                    zombies++;
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return zombies;
    }
}
