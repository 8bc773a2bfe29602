package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The OCI lifecycle through the runc-style command line, each verb in a fresh JVM: create leaves the
 * init blocked on exec.fifo with no Bulwark process left, start lets it run, state follows it to
 * stopped, delete removes everything; kill and delete (refused without --force) of a created-never-started container; kill
 * with signal names and numbers; concurrent creates of one id; delete of a running container;
 * the JSON error log; --help on every command.
 */
class LifecycleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @EnumSource(Mode.class)
    void throughEveryState(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("every", mode);
        java.util.Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c",
                "echo workload-ran; sleep 2; : " + id));
        Path output = outputFile();
        try {
            Cli.Result create = Cli.runWithStdout(mode, List.of(), global(mode, "create", "--bundle", bundle.toString(), id), output);
            assertEquals(0, create.exitCode(), create.describe());
            JsonNode created = state(mode, id);
            assertEquals("created", created.get("status").asText(), created.toString());
            assertEquals(id, created.get("id").asText());
            assertEquals(bundle.toString(), created.get("bundle").asText());
            assertTrue(created.has("ociVersion") && created.has("annotations"), created.toString());
            int pid = created.get("pid").asInt();
            assertTrue(isBlockedOnFifo(pid), "the init waits on exec.fifo: " + procState(pid));
            assertEquals(List.of(pid), bulwarkProcessesMentioning(id), "only the waiting init: no launcher JVM left");
            assertEquals("", Files.readString(output), "the workload has not run before start");

            Cli.Result start = Cli.run(mode, global(mode, "start", id));
            assertEquals(0, start.exitCode(), start.describe());
            assertEquals("running", state(mode, id).get("status").asText());
            awaitTrue(() -> readQuietly(output).contains("workload-ran"), 10_000, "the workload's output appears");
            assertFalse(Files.exists(Cli.stateRoot(mode).resolve(id).resolve("exec.fifo")), "start removes exec.fifo");
            awaitTrue(() -> status(mode, id).equals("stopped"), 15_000, "the workload exits: stopped");
            assertEquals("stopped", state(mode, id).get("status").asText(), "stays readable until delete");
            Cli.Result list = Cli.run(mode, global(mode, "list", "--format", "json"));
            assertTrue(list.stdout().contains("\"" + id + "\""), list.describe());

            Cli.Result delete = Cli.run(mode, global(mode, "delete", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            assertEquals(1, Cli.run(mode, global(mode, "state", id)).exitCode(), "gone after delete");
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void createdNeverStartedKilledOrDeletedLeavesNothing(Mode mode) throws Exception {
        mode.assumeAvailable();
        java.util.Set<String> mountsBefore = Containers.hostMounts();
        for (boolean killFirst : List.of(true, false)) {
            String id = id(killFirst ? "kill-created" : "delete-created", mode);
            Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "echo started; : " + id));
            Path output = outputFile();
            try {
                assertEquals(0, Cli.runWithStdout(mode, List.of(), global(mode, "create", "-b", bundle.toString(), id), output)
                        .exitCode());
                int pid = state(mode, id).get("pid").asInt();
                if (killFirst) {
                    Cli.Result kill = Cli.run(mode, global(mode, "kill", id, "KILL"));
                    assertEquals(0, kill.exitCode(), kill.describe());
                    awaitTrue(() -> status(mode, id).equals("stopped"), 10_000, "a killed created container is stopped");
                }
                if (!killFirst) {
                    // The runtime spec: delete of a container that is not stopped fails and has no effect.
                    Cli.Result refused = Cli.run(mode, global(mode, "delete", id));
                    assertEquals(1, refused.exitCode(), refused.describe());
                    assertEquals("bulwark: container " + id + ": cannot delete a created container (stop it with kill, "
                            + "or delete --force)", refused.errors().strip());
                    assertEquals("created", status(mode, id), "no effect: still created");
                    assertTrue(isBlockedOnFifo(pid), "the init still waits: " + procState(pid));
                }
                // stopped: delete; created: delete --force, as engines (Podman) clean up
                Cli.Result delete = Cli.run(mode, killFirst ? global(mode, "delete", id) : global(mode, "delete", "--force", id));
                assertEquals(0, delete.exitCode(), delete.describe());
                awaitTrue(() -> !alive(pid), 10_000, "the waiting init is gone");
                assertEquals("", Files.readString(output), "the workload never ran");
                Containers.assertNothingLeft(mode, id, mountsBefore);
                assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
            } finally {
                cleanUp(mode, id, bundle, output);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void killTakesSignalNamesAndNumbers(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("signals", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c",
                "trap 'echo got-usr1' USR1; trap 'echo got-usr2' USR2; trap 'echo got-term; exit 3' TERM; "
                        + "echo ready; while true; do sleep 0.1; done; : " + id));
        Path output = outputFile();
        try {
            assertEquals(0, Cli.runWithStdout(mode, List.of(), global(mode, "create", "-b", bundle.toString(), id), output).exitCode());
            assertEquals(0, Cli.run(mode, global(mode, "start", id)).exitCode());
            awaitTrue(() -> readQuietly(output).contains("ready"), 10_000, "the workload set its traps");
            // One at a time: a second signal of a kind sent before the shell ran the first one's trap merges with it
            // (standard signals do not queue), which a fast launcher (the native one) makes likely.
            int usr1 = 0;
            int usr2 = 0;
            for (String signal : List.of("USR1", "SIGUSR1", "10", "usr2", "12")) {
                Cli.Result kill = Cli.run(mode, global(mode, "kill", id, signal));
                assertEquals(0, kill.exitCode(), signal + ": " + kill.describe());
                boolean isUsr1 = List.of("USR1", "SIGUSR1", "10").contains(signal);
                int wantUsr1 = isUsr1 ? ++usr1 : usr1;
                int wantUsr2 = isUsr1 ? usr2 : ++usr2;
                awaitTrue(() -> count(readQuietly(output), "got-usr1") == wantUsr1 && count(readQuietly(output), "got-usr2") == wantUsr2,
                        10_000, signal + " arrives: " + readQuietly(output));
            }
            Cli.Result unknown = Cli.run(mode, global(mode, "kill", id, "NOSUCHSIGNAL"));
            assertNotEquals(0, unknown.exitCode());
            assertEquals(1, unknown.errors().lines().count(), unknown.describe());
            assertEquals(0, Cli.run(mode, global(mode, "kill", id)).exitCode(), "default signal TERM");
            awaitTrue(() -> status(mode, id).equals("stopped"), 10_000, "TERM ends it: " + readQuietly(output));
            assertTrue(readQuietly(output).contains("got-term"));
            Cli.Result again = Cli.run(mode, global(mode, "kill", id, "KILL"));
            assertEquals(1, again.exitCode(), "kill of a stopped container fails: " + again.describe());
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void concurrentCreatesOfOneIdHaveOneWinner(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("race", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/true"));
        Path output = outputFile();
        try {
            List<CompletableFuture<Cli.Result>> creates = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                creates.add(CompletableFuture.supplyAsync(() ->
                        Cli.runWithStdout(mode, List.of(), global(mode, "create", "-b", bundle.toString(), id), output)));
            }
            List<Cli.Result> results = creates.stream().map(CompletableFuture::join).toList();
            assertEquals(1, results.stream().filter(r -> r.exitCode() == 0).count(), results.toString());
            Cli.Result loser = results.stream().filter(r -> r.exitCode() != 0).findFirst().orElseThrow();
            assertEquals(1, loser.errors().lines().count(), "one line: " + loser.describe());
            assertTrue(loser.errors().contains(id), loser.describe());
            assertEquals("created", status(mode, id));
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void deleteOfARunningContainerNeedsForce(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("force", mode);
        java.util.Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "sleep 600; : " + id));
        Path output = outputFile();
        try {
            assertEquals(0, Cli.runWithStdout(mode, List.of(), global(mode, "create", "-b", bundle.toString(), id), output).exitCode());
            assertEquals(0, Cli.run(mode, global(mode, "start", id)).exitCode());
            Cli.Result refused = Cli.run(mode, global(mode, "delete", id));
            assertEquals(1, refused.exitCode(), refused.describe());
            assertEquals(1, refused.errors().lines().count(), refused.describe());
            assertEquals("running", status(mode, id));
            Cli.Result forced = Cli.run(mode, global(mode, "delete", "--force", id));
            assertEquals(0, forced.exitCode(), forced.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stateOfAContainerWhoseInitWasKilledIsStopped(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("sigkilled", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "sleep 600; : " + id));
        Path output = outputFile();
        try {
            assertEquals(0, Cli.runWithStdout(mode, List.of(), global(mode, "create", "-b", bundle.toString(), id), output).exitCode());
            assertEquals(0, Cli.run(mode, global(mode, "start", id)).exitCode());
            int pid = state(mode, id).get("pid").asInt();
            assertEquals(0, new ProcessBuilder("kill", "-KILL", Integer.toString(pid)).start().waitFor());
            awaitTrue(() -> !alive(pid), 10_000, "the init dies");
            assertEquals("stopped", state(mode, id).get("status").asText());
            Cli.Result list = Cli.run(mode, global(mode, "list"));
            assertTrue(list.stdout().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains(" stopped ")), list.describe());
            assertEquals(1, Cli.run(mode, global(mode, "start", id)).exitCode(), "a stopped container cannot start");
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void preservedFdsReachTheWorkload(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("fds", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "echo through-fd-3 >&3; : " + id));
        Path output = outputFile();
        Path fd3 = outputFile();
        try {
            // The wrapper opens fd 3 (without close-on-exec) before the CLI starts, as an engine would.
            List<String> wrapper = List.of("/bin/sh", "-c", "exec 3>>" + fd3 + "; exec \"$@\"", "sh");
            Cli.Result create = Cli.runWithStdout(mode, wrapper,
                    global(mode, "create", "--preserve-fds", "1", "-b", bundle.toString(), id), output);
            assertEquals(0, create.exitCode(), create.describe());
            assertEquals(0, Cli.run(mode, global(mode, "start", id)).exitCode());
            awaitTrue(() -> readQuietly(fd3).contains("through-fd-3"), 10_000, "the workload wrote to fd 3: " + readQuietly(output));
        } finally {
            cleanUp(mode, id, bundle, output);
            Files.deleteIfExists(fd3);
        }
    }

    @Test
    void errorsGoToAJsonLogInRuncsShape() throws Exception {
        Mode.ROOT.assumeAvailable();
        Path log = outputFile();
        try {
            Cli.Result result = Cli.run(Mode.ROOT, List.of("--root", Containers.stateRoot(Mode.ROOT).toString(),
                    "--log", log.toString(), "--log-format", "json", "state", "no-such-container"));
            assertEquals(1, result.exitCode(), result.describe());
            List<String> lines = Files.readAllLines(log);
            assertEquals(1, lines.size(), lines.toString());
            JsonNode record = JSON.readTree(lines.get(0));
            assertEquals("error", record.get("level").asText());
            assertTrue(record.get("msg").asText().contains("no-such-container"), lines.get(0));
            java.time.Instant.parse(record.get("time").asText());
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void everyCommandHasHelpAndTheVersionNamesTheSpec() {
        Mode.ROOT.assumeAvailable();
        for (String command : List.of("create", "start", "state", "kill", "delete", "run", "ps", "list", "ls", "features",
                "spec", "stats", "seccomp")) {
            Cli.Result help = Cli.run(Mode.ROOT, List.of(command, "--help"));
            assertEquals(0, help.exitCode(), command + ": " + help.describe());
            assertTrue(help.stdout().contains("Usage:"), command + ": " + help.describe());
            assertEquals(0, Cli.run(Mode.ROOT, List.of("help", command)).exitCode(), "help " + command);
        }
        Cli.Result version = Cli.run(Mode.ROOT, List.of("--version"));
        assertEquals(0, version.exitCode());
        assertTrue(version.stdout().contains("spec: 1."), version.stdout());
        Cli.Result features = Cli.run(Mode.ROOT, List.of("features"));
        assertEquals(0, features.exitCode(), features.describe());
        assertTrue(features.stdout().contains("\"ociVersionMax\""), features.stdout());
    }

    // --- helpers ---

    private static String id(String what, Mode mode) {
        return "lc-" + what + "-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid();
    }

    /** Global flags first, as engines pass them. */
    private static List<String> global(Mode mode, String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(mode).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    private static JsonNode state(Mode mode, String id) throws IOException {
        Cli.Result state = Cli.run(mode, global(mode, "state", id));
        assertEquals(0, state.exitCode(), state.describe());
        return JSON.readTree(state.stdout());
    }

    private static String status(Mode mode, String id) {
        try {
            return state(mode, id).get("status").asText();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** An empty file every user may append to (the rootless CLI opens nothing itself: the test JVM does). */
    private static Path outputFile() throws IOException {
        Path file = Files.createTempFile(Path.of("/tmp"), "bulwark-it-lifecycle", ".txt");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        return file;
    }

    private static void cleanUp(Mode mode, String id, Path bundle, Path output) throws IOException {
        if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
            Cli.run(mode, global(mode, "delete", "--force", id));
        }
        Bundles.delete(bundle);
        Files.deleteIfExists(output);
    }

    /** Blocked in read(2) on a pipe or fifo: wchan pipe_read / anon_pipe_read, state S. */
    private static boolean isBlockedOnFifo(int pid) {
        String wchan = readQuietly(Path.of("/proc", Integer.toString(pid), "wchan"));
        return wchan.contains("pipe_read") && procState(pid).equals("S");
    }

    private static String procState(int pid) {
        String stat = readQuietly(Path.of("/proc", Integer.toString(pid), "stat"));
        return stat.isEmpty() ? "gone" : stat.substring(stat.lastIndexOf(')') + 2).split(" ")[0];
    }

    private static boolean alive(int pid) {
        String state = procState(pid);
        return !state.equals("gone") && !state.equals("Z") && !state.equals("X");
    }

    /** Live processes running the Bulwark CLI whose command line mentions {@code id}. */
    private static List<Integer> bulwarkProcessesMentioning(String id) {
        return Containers.processesMentioning(id).stream()
                .filter(pid -> readQuietly(Path.of("/proc", Long.toString(pid), "cmdline")).contains(Cli.COMMAND_LINE_MARKER))
                .map(Long::intValue).filter(LifecycleTest::alive).toList();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static int count(String text, String word) {
        return text.split(java.util.regex.Pattern.quote(word), -1).length - 1;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, long millis, String what)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out: " + what);
            }
            Thread.sleep(50);
        }
    }
}
