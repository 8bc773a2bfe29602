package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.config.model.LinuxResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * runc's verbs that engines call besides the lifecycle: pause/resume (cgroup v2 freezer), update, events, on real
 * containers. On this hybrid host a container gets a cgroup of its own in the v2 hierarchy only for limits v2 can apply
 * there: the tests give it a core-file limit ({@code unified: cgroup.max.descendants}), which needs no controller. A
 * container without one (every rootless container here, and a root one without limits) is refused in one line. The
 * limits that need controllers are enforced in the cgroup v2 VM ({@code vm/RuncVerbsInVmTest}).
 */
class RuncVerbsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COUNTER = "i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done";

    @Test
    void pauseFreezesTheCgroupAndResumeThawsIt() throws Exception {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        String id = id("pause", mode);
        Path bundle = Bundles.create(mode, spec -> withOwnCgroup(Containers.withArgs(spec, "/bin/sh", "-c", COUNTER + "; : " + id)));
        Path output = outputFile();
        try {
            createAndStart(mode, id, bundle, output);
            Path cgroup = Path.of(state(mode, id).get("cgroup").asText());
            awaitTrue(() -> lines(output) > 2, "the counter runs");

            Cli.Result pause = Cli.run(mode, cli(mode, "pause", id));
            assertEquals(0, pause.exitCode(), pause.describe());
            assertEquals("paused", state(mode, id).get("status").asText());
            assertTrue(Files.readString(cgroup.resolve("cgroup.events")).contains("frozen 1"), "cgroup.events says frozen");
            assertTrue(Cli.run(mode, cli(mode, "list")).stdout().matches("(?s).*" + id + " +paused .*"), "list shows paused");
            long frozenAt = lines(output);
            Thread.sleep(600);
            assertEquals(frozenAt, lines(output), "nothing runs while paused");

            Cli.Result again = Cli.run(mode, cli(mode, "pause", id));
            assertEquals(1, again.exitCode(), again.describe());
            assertEquals("bulwark: container " + id + ": cannot pause: it is not running (paused)", again.errors().strip());
            Cli.Result exec = Cli.run(mode, cli(mode, "exec", id, "true"));
            assertEquals(255, exec.exitCode(), exec.describe());
            assertEquals("bulwark: container " + id + ": cannot exec in a paused container (use --ignore-paused to override)",
                    exec.errors().strip());
            // --ignore-paused: the process waits in the frozen cgroup, and holds nothing that stops resume
            Cli.Running ignoring = Cli.start(mode, cli(mode, "exec", "--ignore-paused", id, "/bin/sh", "-c", "echo thawed; exit 3"));
            Thread.sleep(1000);
            assertTrue(ignoring.process().isAlive(), "the exec'd process waits while paused: " + ignoring.stderrSoFar());

            Cli.Result resume = Cli.run(mode, cli(mode, "resume", id));
            assertEquals(0, resume.exitCode(), resume.describe());
            Cli.Result ignored = ignoring.await(30);
            assertEquals(3, ignored.exitCode(), ignored.describe());
            assertEquals("thawed", ignored.stdout().strip());
            assertEquals("running", state(mode, id).get("status").asText());
            assertTrue(Files.readString(cgroup.resolve("cgroup.events")).contains("frozen 0"));
            awaitTrue(() -> lines(output) > frozenAt + 2, "the counter goes on after resume");
            Cli.Result resumeAgain = Cli.run(mode, cli(mode, "resume", id));
            assertEquals(1, resumeAgain.exitCode(), resumeAgain.describe());
            assertEquals("bulwark: container " + id + ": cannot resume: it is not paused (running)", resumeAgain.errors().strip());

            // kill KILL of a paused container ends it and leaves its cgroup thawed, as runc
            assertEquals(0, Cli.run(mode, cli(mode, "pause", id)).exitCode());
            Cli.Result kill = Cli.run(mode, cli(mode, "kill", id, "KILL"));
            assertEquals(0, kill.exitCode(), kill.describe());
            awaitTrue(() -> status(mode, id).equals("stopped"), "a killed paused container stops");
            assertTrue(Files.readString(cgroup.resolve("cgroup.events")).contains("frozen 0"), "thawed after the kill");
            assertEquals(0, Cli.run(mode, cli(mode, "delete", id)).exitCode());
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    /** As runc: a created container can be paused; resumed, it is created again, and start then runs it. */
    @Test
    void aCreatedContainerCanBePausedAndResumed() throws Exception {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        String id = id("pausecreated", mode);
        Path bundle = Bundles.create(mode, spec -> withOwnCgroup(Containers.withArgs(spec, "/bin/sh", "-c", "echo started; sleep 300")));
        Path output = outputFile();
        try {
            Cli.Result create = Cli.runWithStdout(mode, List.of(), cli(mode, "create", "--bundle", bundle.toString(), id), output);
            assertEquals(0, create.exitCode(), create.describe());
            Path cgroup = Path.of(state(mode, id).get("cgroup").asText());
            Cli.Result pause = Cli.run(mode, cli(mode, "pause", id));
            assertEquals(0, pause.exitCode(), pause.describe());
            assertEquals("paused", status(mode, id));
            assertTrue(Files.readString(cgroup.resolve("cgroup.events")).contains("frozen 1"), "cgroup.events says frozen");
            Cli.Result startPaused = Cli.run(mode, cli(mode, "start", id));
            assertEquals(1, startPaused.exitCode(), startPaused.describe());
            assertEquals("bulwark: container " + id + ": cannot start a container that is paused", startPaused.errors().strip());

            Cli.Result resume = Cli.run(mode, cli(mode, "resume", id));
            assertEquals(0, resume.exitCode(), resume.describe());
            assertEquals("created", status(mode, id), "created again: its init still waits for start");
            assertEquals(0, Cli.run(mode, cli(mode, "start", id)).exitCode());
            awaitTrue(() -> lines(output) == 1, "the workload runs after start");
            assertEquals("running", status(mode, id));
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    @Test
    void deleteForceEndsAPausedContainer() throws Exception {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        String id = id("delpaused", mode);
        java.util.Set<String> mountsBefore = Containers.hostMounts();
        Path bundle = Bundles.create(mode, spec -> withOwnCgroup(Containers.withArgs(spec, "/bin/sleep", "300")));
        Path output = outputFile();
        try {
            createAndStart(mode, id, bundle, output);
            int pid = state(mode, id).get("pid").asInt();
            assertEquals(0, Cli.run(mode, cli(mode, "pause", id)).exitCode());
            Cli.Result refused = Cli.run(mode, cli(mode, "delete", id));
            assertEquals(1, refused.exitCode(), refused.describe());
            assertEquals("bulwark: container " + id + ": cannot delete a paused container (stop it with kill, or delete --force)",
                    refused.errors().strip());
            Cli.Result delete = Cli.run(mode, cli(mode, "delete", "--force", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            awaitTrue(() -> !alive(pid), "the paused init is gone");
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    /** Without a cgroup of its own (rootless here: no delegated cgroup; root without limits) pause and update are refused. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void withoutACgroupOfItsOwnPauseUpdateAndEventsAreRefused(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("nocgroup", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec.withLinux(spec.linux().withResources(null)),
                "/bin/sleep", "300"));
        Path output = outputFile();
        try {
            createAndStart(mode, id, bundle, output);
            assumeTrue(state(mode, id).get("cgroup") == null, "this host gave the container a cgroup of its own");
            for (List<String> verb : List.of(List.of("pause"), List.of("update", "--pids-limit", "10"), List.of("events", "--stats"))) {
                List<String> args = new ArrayList<>(verb);
                args.add(id);
                Cli.Result refused = Cli.run(mode, cli(mode, args.toArray(String[]::new)));
                assertEquals(1, refused.exitCode(), refused.describe());
                String line = refused.errors().strip();
                assertFalse(line.contains("\n"), "one line: " + line);
                assertTrue(line.matches("bulwark: container " + id + ": cannot .*: it has no cgroup of its own \\(it shares "
                        + "the cgroup v2 /.* with its launcher's other processes\\); a container gets one when its "
                        + "linux.resources or linux.cgroupsPath can be applied in this host's cgroup v2 hierarchy"), line);
            }
            assertEquals("running", status(mode, id), "nothing changed");
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    /**
     * A config that names its cgroup (linux.cgroupsPath, as containerd and Podman pass) gets it without limits where the
     * host's v2 hierarchy can hold it (root here), so pause works; rootless here it cannot, and runs without one as before.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aConfigThatNamesItsCgroupGetsOneWithoutLimits(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("cgpath", mode);
        String parent = "bulwark-it-verbs-" + ProcessHandle.current().pid();
        String cgroupsPath = mode == Mode.ROOT ? "/" + parent + "/" + id : parent + "/" + id;
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sleep", "300").withLinux(
                withCgroupsPath(spec.linux().withResources(null), cgroupsPath)));
        Path output = outputFile();
        try {
            createAndStart(mode, id, bundle, output);
            JsonNode cgroup = state(mode, id).get("cgroup");
            if (mode == Mode.ROOTLESS && cgroup == null) { // this host delegates no cgroup to the rootless user
                assertEquals(1, Cli.run(mode, cli(mode, "pause", id)).exitCode(), "refused without a cgroup of its own");
                return;
            }
            assertNotNull(cgroup, "a cgroup of its own");
            assertTrue(cgroup.asText().endsWith("/" + parent + "/" + id) || mode == Mode.ROOTLESS, cgroup.asText());
            assertEquals(0, Cli.run(mode, cli(mode, "pause", id)).exitCode());
            assertTrue(Files.readString(Path.of(cgroup.asText(), "cgroup.events")).contains("frozen 1"));
            assertEquals(0, Cli.run(mode, cli(mode, "resume", id)).exitCode());
            assertEquals(0, Cli.run(mode, cli(mode, "delete", "--force", id)).exitCode());
            assertFalse(Files.exists(Path.of(cgroup.asText())), "delete removes it");
        } finally {
            cleanUp(mode, id, bundle, output);
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] halves = line.split(" - ");
                if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                    Path parentCgroup = Path.of(halves[0].split(" ")[4], parent);
                    try {
                        Files.deleteIfExists(parentCgroup);
                    } catch (IOException e) { // reported, not thrown: an exception here would hide the test's own failure
                        System.getLogger(RuncVerbsTest.class.getName()).log(System.Logger.Level.WARNING,
                                "could not remove " + parentCgroup + ": " + e);
                    }
                }
            }
        }
    }

    private static dev.bulwark.config.model.Linux withCgroupsPath(dev.bulwark.config.model.Linux l, String path) {
        return new dev.bulwark.config.model.Linux(l.uidMappings(), l.gidMappings(), l.sysctl(), l.resources(), path,
                l.namespaces(), l.devices(), l.seccomp(), l.rootfsPropagation(), l.maskedPaths(), l.readonlyPaths(),
                l.mountLabel(), l.intelRdt(), l.personality(), l.timeOffsets());
    }

    @Test
    void updateWritesWhatTheHostHasAndNamesWhatItLacks() throws Exception {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        String id = id("update", mode);
        Path bundle = Bundles.create(mode, spec -> withOwnCgroup(Containers.withArgs(spec, "/bin/sleep", "300")));
        Path output = outputFile();
        Path resources = Files.createTempFile(Path.of("/tmp"), "bulwark-it-resources", ".json");
        try {
            createAndStart(mode, id, bundle, output);
            Path cgroup = Path.of(state(mode, id).get("cgroup").asText());
            assertEquals("32", Files.readString(cgroup.resolve("cgroup.max.depth")).strip(), "the runtime's nesting limit");
            Files.writeString(resources, "{\"unified\": {\"cgroup.max.descendants\": \"7\"}}");
            Cli.Result fromFile = Cli.run(mode, cli(mode, "update", "--resources", resources.toString(), id));
            assertEquals(0, fromFile.exitCode(), fromFile.describe());
            assertEquals("7", Files.readString(cgroup.resolve("cgroup.max.descendants")).strip());

            // --resources - reads stdin, as containerd's shim passes it
            Cli.Result fromStdin = Cli.start(mode, List.of("sh", "-c",
                    "echo '{\"unified\": {\"cgroup.max.descendants\": \"5\"}}' | \"$@\"", "sh"),
                    cli(mode, "update", "--resources", "-", id)).await(60);
            assertEquals(0, fromStdin.exitCode(), fromStdin.describe());
            assertEquals("5", Files.readString(cgroup.resolve("cgroup.max.descendants")).strip());

            Files.writeString(resources, "{\"unified\": {\"cgroup.max.depth\": \"max\"}}");
            Cli.Result depth = Cli.run(mode, cli(mode, "update", "--resources", resources.toString(), id));
            assertEquals(125, depth.exitCode(), depth.describe());
            assertTrue(depth.errors().contains("cgroup.max.depth") && depth.errors().contains("managed by the runtime"),
                    depth.errors());
            assertEquals("32", Files.readString(cgroup.resolve("cgroup.max.depth")).strip(), "the nesting limit stays");

            Files.writeString(resources, "{\"pids\": {\"limit\": \"many\"}}");
            Cli.Result badField = Cli.run(mode, cli(mode, "update", "-r", resources.toString(), id));
            assertEquals(125, badField.exitCode(), badField.describe());
            assertTrue(badField.errors().strip().matches("bulwark: --resources " + resources + ":1:\\d+: linux\\.resources\\.pids"
                    + "\\.limit: expected .*"), badField.errors());

            Cli.Result badSize = Cli.run(mode, cli(mode, "update", "--memory", "lots", id));
            assertEquals(125, badSize.exitCode(), badSize.describe());
            assertEquals("bulwark: --memory: \"lots\" is not a size (bytes, or a number with k, m, g, t or p; -1 for no limit)",
                    badSize.errors().strip());

            if (!Files.exists(cgroup.resolve("memory.max"))) { // this host: the memory controller is cgroup v1's
                Cli.Result lacking = Cli.run(mode, cli(mode, "update", "--memory", "64m", "--pids-limit", "20", id));
                assertEquals(125, lacking.exitCode(), lacking.describe());
                assertEquals("bulwark: container " + id + ": linux.resources.memory.limit: cannot be applied here: " + cgroup
                        + " has no memory.max (the memory controller is not enabled for it; on a hybrid host the controllers"
                        + " belong to cgroup v1)", lacking.errors().strip());
                assertEquals("5", Files.readString(cgroup.resolve("cgroup.max.descendants")).strip(), "nothing else changed");
            }
            Cli.Result rt = Cli.run(mode, cli(mode, "update", "--cpu-rt-runtime", "950000", id));
            assertEquals(125, rt.exitCode(), rt.describe());
            assertTrue(rt.errors().contains("realtimeRuntime/realtimePeriod: real-time group scheduling does not exist in cgroup v2"),
                    rt.errors());

            assertEquals(0, Cli.run(mode, cli(mode, "kill", id, "KILL")).exitCode());
            awaitTrue(() -> status(mode, id).equals("stopped"), "stopped");
            Cli.Result stopped = Cli.run(mode, cli(mode, "update", "--pids-limit", "5", id));
            assertEquals(1, stopped.exitCode(), stopped.describe());
            assertEquals("bulwark: container " + id + ": cannot update: it is not running (stopped)", stopped.errors().strip());
        } finally {
            Files.deleteIfExists(resources);
            cleanUp(mode, id, bundle, output);
        }
    }

    @Test
    void eventsPrintsRuncsStatsJsonUntilTheContainerStops() throws Exception {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        String id = id("events", mode);
        Path bundle = Bundles.create(mode, spec -> withOwnCgroup(Containers.withArgs(spec, "/bin/sh", "-c", COUNTER + "; : " + id)));
        Path output = outputFile();
        try {
            createAndStart(mode, id, bundle, output);
            Cli.Result once = Cli.run(mode, cli(mode, "events", "--stats", id));
            assertEquals(0, once.exitCode(), once.describe());
            assertEquals(1, once.stdout().lines().count(), once.stdout());
            JsonNode event = JSON.readTree(once.stdout());
            assertEquals("stats", event.get("type").asText());
            assertEquals(id, event.get("id").asText());
            JsonNode data = event.get("data");
            assertEquals(List.of("cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces"),
                    fieldNames(data), "runc's types.Stats, in its order");
            assertTrue(data.at("/cpu/usage/total").asLong() > 0, data.toString());
            assertTrue(data.at("/cpu/usage").has("kernel") && data.at("/cpu/usage").has("user"), data.toString());
            assertTrue(data.at("/pids/current").asLong() >= 1, "the shell, maybe its sleep: " + data);
            assertTrue(data.at("/memory/usage").has("limit") && data.at("/memory/usage").has("failcnt"), data.toString());

            Cli.Result badInterval = Cli.run(mode, cli(mode, "events", "--interval", "0s", id));
            assertEquals(125, badInterval.exitCode(), badInterval.describe());
            assertEquals("bulwark: --interval: \"0s\" is not a duration above 0 (as 5s, 500ms, 1m30s)", badInterval.errors().strip());

            Cli.Running stream = Cli.start(mode, cli(mode, "events", "--interval", "300ms", id));
            Thread.sleep(3000);
            assertTrue(stream.process().isAlive(), "events runs while the container does");
            assertEquals(0, Cli.run(mode, cli(mode, "kill", id, "KILL")).exitCode());
            Cli.Result streamed = stream.await(20);
            assertEquals(0, streamed.exitCode(), streamed.describe());
            List<String> lines = streamed.stdout().lines().toList();
            assertTrue(lines.size() >= 2, "a stats event every 300 ms: " + streamed.stdout());
            for (String line : lines) {
                JsonNode e = JSON.readTree(line);
                assertEquals("stats", e.get("type").asText(), line);
                assertEquals(id, e.get("id").asText(), line);
            }
            awaitTrue(() -> status(mode, id).equals("stopped"), "stopped");
            Cli.Result afterStop = Cli.run(mode, cli(mode, "events", "--stats", id));
            assertEquals(1, afterStop.exitCode(), afterStop.describe());
            assertEquals("bulwark: container with id " + id + " is not running", afterStop.errors().strip());
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    /** runc's ps: --format json is the array of host pids; the table is ps(1)'s, with the options after ID (default -ef). */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void psPrintsRuncsJsonAndPsTables(Mode mode) throws Exception {
        mode.assumeAvailable();
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ps")) || Files.isExecutable(Path.of("/bin/ps")), "ps(1) (procps) is needed");
        String id = id("ps", mode);
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "sleep 301 & sleep 302; : " + id));
        Path output = outputFile();
        try {
            createAndStart(mode, id, bundle, output);
            int init = state(mode, id).get("pid").asInt();
            awaitTrue(() -> jsonPids(mode, id).size() == 3, "the shell and its two sleeps");
            Cli.Result json = Cli.run(mode, cli(mode, "ps", "--format", "json", id));
            assertTrue(json.stdout().strip().matches("\\[\\d+,\\d+,\\d+]"), "a compact JSON array of pids: " + json.stdout());
            List<Long> pids = jsonPids(mode, id);
            assertTrue(pids.contains((long) init), pids + " holds the init " + init);

            Cli.Result table = Cli.run(mode, cli(mode, "ps", id));
            assertEquals(0, table.exitCode(), table.describe());
            List<String> lines = table.stdout().lines().toList();
            assertTrue(lines.get(0).matches("UID +PID +PPID +C +STIME +TTY +TIME +CMD"), "ps -ef's header: " + lines.get(0));
            assertEquals(4, lines.size(), "the header and the container's three processes: " + table.stdout());
            assertTrue(lines.stream().anyMatch(l -> l.matches(".* " + init + " .*/bin/sh -c sleep 301 .*")), table.stdout());
            assertTrue(lines.stream().anyMatch(l -> l.endsWith("sleep 302")), table.stdout());

            Cli.Result options = Cli.run(mode, cli(mode, "ps", id, "-e", "-o", "pid,args"));
            assertEquals(0, options.exitCode(), options.describe());
            List<String> optionLines = options.stdout().lines().toList();
            assertEquals("PID COMMAND", optionLines.get(0).strip(), "options after ID are ps(1)'s");
            assertEquals(4, optionLines.size(), options.stdout());
            for (long pid : pids) {
                assertTrue(optionLines.stream().anyMatch(l -> l.strip().startsWith(pid + " ")), pid + " in " + options.stdout());
            }
            Cli.Result dashes = Cli.run(mode, cli(mode, "ps", id, "--", "-e", "-o", "pid,args"));
            assertEquals(options.stdout().lines().count(), dashes.stdout().lines().count(), "a -- before ps's options is dropped");

            Cli.Result noPid = Cli.run(mode, cli(mode, "ps", id, "-e", "-o", "args"));
            assertEquals(125, noPid.exitCode(), noPid.describe());
            assertEquals("bulwark: PS_OPTIONS: ps -e -o args prints no PID column (add pid to -o)", noPid.errors().strip());
        } finally {
            cleanUp(mode, id, bundle, output);
        }
    }

    private static List<Long> jsonPids(Mode mode, String id) {
        Cli.Result ps = Cli.run(mode, cli(mode, "ps", "--format", "json", id));
        assertEquals(0, ps.exitCode(), ps.describe());
        List<Long> pids = new ArrayList<>();
        try {
            JSON.readTree(ps.stdout()).forEach(n -> pids.add(n.asLong()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return pids;
    }

    // --- helpers ---

    /** A limit on a core cgroup file: the container gets a cgroup of its own even where v2 has no controllers. */
    private static dev.bulwark.config.model.Spec withOwnCgroup(dev.bulwark.config.model.Spec spec) {
        return spec.withLinux(spec.linux().withResources(new LinuxResources(null, null, null, null, null, null, null, null,
                Map.of("cgroup.max.descendants", "100"))));
    }

    private static void createAndStart(Mode mode, String id, Path bundle, Path output) {
        Cli.Result create = Cli.runWithStdout(mode, List.of(), cli(mode, "create", "--bundle", bundle.toString(), id), output);
        assertEquals(0, create.exitCode(), create.describe());
        Cli.Result start = Cli.run(mode, cli(mode, "start", id));
        assertEquals(0, start.exitCode(), start.describe());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String id(String what, Mode mode) {
        return "verbs-" + what + "-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid();
    }

    private static List<String> cli(Mode mode, String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(mode).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    private static JsonNode state(Mode mode, String id) throws IOException {
        Cli.Result state = Cli.run(mode, cli(mode, "state", id));
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

    /** Not gone, not a zombie (an init reparented to the test's JVM waits there to be reaped). */
    private static boolean alive(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[0];
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException e) {
            return false;
        }
    }

    private static long lines(Path file) {
        try {
            return Files.readString(file).lines().count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static Path outputFile() throws IOException {
        Path file = Files.createTempFile(Path.of("/tmp"), "bulwark-it-verbs", ".txt");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        return file;
    }

    private static void cleanUp(Mode mode, String id, Path bundle, Path output) throws IOException {
        if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
            Cli.run(mode, cli(mode, "delete", "--force", id));
        }
        Bundles.delete(bundle);
        Files.deleteIfExists(output);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out: " + what);
            }
            Thread.sleep(50);
        }
    }
}
