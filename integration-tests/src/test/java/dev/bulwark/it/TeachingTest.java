package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Teaching: the narrated launch prints every line before the workload's first output (brief, full,
 * trace); {@code plan} prints the child's program with by-hand commands and runs nothing, and
 * {@code run --trace} runs the same steps; {@code inspect} reads what isolates a Bulwark container,
 * a runc container and a host process from /proc.
 */
class TeachingTest {
    private static final Pattern TRACE_STEP = Pattern.compile("^\\[bulwark\\] +\\d+\\. (.*)  \\[(.*)\\]$");
    private static final Pattern PLAN_STEP = Pattern.compile("^ *\\d+\\. (.*)  \\[(.*)\\]$");
    private static int counter;

    private static String newId(Mode mode) {
        return "teach-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyNarrationLineComesBeforeTheWorkloadsFirstOutput(Mode mode) {
        mode.assumeAvailable();
        for (String flag : List.of("--explain=brief", "--explain", "--explain=full", "--trace")) {
            List<String> args = Containers.runDefault(mode, newId(mode), "/bin/sh", "-c", "echo workload-first; echo workload-err >&2");
            args.add(1, flag);
            Cli.Result result = Cli.runMerged(mode, args);
            assertEquals(0, result.exitCode(), flag + ": " + result.describe());
            List<String> lines = result.stdout().lines().toList();
            int firstOutput = lines.indexOf("workload-first");
            assertTrue(firstOutput > 0, flag + ": the workload ran:\n" + result.stdout());
            int lastNarration = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith("[bulwark] ")) {
                    lastNarration = i;
                }
            }
            assertTrue(lastNarration >= 0 && lastNarration < firstOutput,
                    flag + ": every [bulwark] line precedes the workload's first output:\n" + result.stdout());
            if (flag.equals("--explain=brief")) {
                List<String> layers = lines.stream().filter(l -> l.startsWith("[bulwark] "))
                        .map(l -> l.substring(10, l.indexOf(':', 10))).toList();
                assertEquals(new HashSet<>(layers).size(), layers.size(), "one line per layer: " + layers);
                for (String layer : List.of("namespaces", "user namespace", "root filesystem", "masked and read-only paths",
                        "Landlock", "capabilities", "no_new_privs", "seccomp", "exec")) {
                    assertTrue(layers.contains(layer), "brief names the layer " + layer + ": " + layers);
                }
                assertTrue(layers.size() < 25, "brief is brief: " + result.stdout());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void planPrintsTheStepsWithByHandCommandsRunsNothingAndTraceRunsTheSameSteps(Mode mode) {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        String root = Containers.stateRoot(mode).toString();
        Cli.Result plan = Cli.run(mode, List.of("plan", "--id", id, "--root", root, "--", "/bin/sh", "-c", "echo traced"));
        assertEquals(0, plan.exitCode(), plan.describe());
        String text = plan.stdout();
        for (String byHand : List.of("by hand: unshare --user --map-root-user --pid --fork --mount", "by hand: mount --make-rprivate /",
                "by hand: mount -t proc proc /proc", "by hand: cd NEWROOT && pivot_root . .", "by hand: umount -l .",
                "by hand: mount --bind /dev/null /proc/", "by hand: capsh --drop=cap_chown", "by hand: setpriv --no-new-privs",
                "by hand: prlimit --nofile=1024:1024", "by hand: hostname bulwark", "by hand: exec /bin/sh -c 'echo traced'")) {
            assertTrue(text.contains(byHand), "plan shows \"" + byHand + "\":\n" + text);
        }
        int at = -1;
        for (String step : List.of("mount proc on /proc", "pivot_root into ", "remount / read-only", "set no_new_privs",
                "enforce the Landlock ruleset", "install the seccomp filter", "execute /bin/sh")) {
            int found = text.indexOf(step, at + 1);
            assertTrue(found > at, step + " comes next in the plan:\n" + text);
            at = found;
        }
        assertTrue(text.contains("pivot_root(\".\", \".\")") || text.contains("pivot_root("), "the syscall with its arguments");
        Cli.Result json = Cli.run(mode, List.of("plan", "--json", "--id", id, "--root", root, "--", "/bin/sh", "-c", "echo traced"));
        assertEquals(0, json.exitCode(), json.describe());
        JsonNode parsed;
        try {
            parsed = new ObjectMapper().readTree(json.stdout());
        } catch (IOException e) {
            throw new AssertionError(json.stdout(), e);
        }
        assertEquals(configSteps(text, PLAN_STEP).size(), countConfigSteps(parsed.get("steps")), "--json has the same steps");
        assertEquals("exec /bin/sh -c 'echo traced'", parsed.get("steps").get(parsed.get("steps").size() - 1).get("byHand").asText());
        assertFalse(Files.exists(Path.of(root, id)), "plan made no state directory");
        assertEquals(List.of(), Containers.processesMentioning(id), "plan started no process");
        Containers.assertNoMountAdded(mountsBefore, "plan mounted nothing");

        Cli.Result trace = Cli.run(mode, List.of("run", "--trace", "--id", id, "--root", root, "--", "/bin/sh", "-c", "echo traced"));
        assertEquals(0, trace.exitCode(), trace.describe());
        assertEquals("traced\n", trace.stdout());
        assertEquals(configSteps(text, PLAN_STEP), configSteps(trace.errors(), TRACE_STEP),
                "run --trace runs the steps plan printed (the launcher's own plumbing aside)");
        Containers.assertNothingLeft(mode, id, mountsBefore);
    }

    private static int countConfigSteps(JsonNode steps) {
        int count = 0;
        for (JsonNode step : steps) {
            if (!step.get("configField").asText().equals("(launcher)")) {
                count++;
            }
        }
        return count;
    }

    /** The steps a config field asks for, as "name [field]" (the launcher's pipes and stops differ with narration). */
    private static List<String> configSteps(String text, Pattern step) {
        List<String> steps = new ArrayList<>();
        for (String line : text.lines().toList()) {
            Matcher m = step.matcher(line);
            if (m.matches() && !m.group(2).equals("(launcher)")) {
                steps.add(m.group(1) + " [" + m.group(2) + "]");
            }
        }
        assertTrue(steps.size() > 100, "the steps were found: " + steps.size());
        return steps;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void inspectShowsWhatIsolatesARunningBulwarkContainer(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        String root = Containers.stateRoot(mode).toString();
        Cli.Running container = Cli.start(mode, Containers.runDefault(mode, id, "/bin/sh", "-c", "echo up; sleep 60"));
        try {
            Cli.Result inspected = null;
            for (int i = 0; i < 200 && (inspected == null || inspected.exitCode() != 0); i++) {
                Thread.sleep(100);
                if (container.stdoutSoFar().contains("up")) {
                    inspected = Cli.run(mode, List.of("inspect", id, "--root", root));
                }
            }
            assertNotNull(inspected, "the container started: " + container.stderrSoFar());
            assertEquals(0, inspected.exitCode(), inspected.describe());
            String text = inspected.stdout();
            long hostRoot = mode == Mode.ROOT ? 1000000000L : Mode.rootlessUid();
            for (String expected : List.of("namespaces    isolated     7 of 7 namespaces are its own",
                    "container uid 0 is host uid " + hostRoot + ", ", "capabilities  isolated     no effective capabilities, empty bounding set",
                    "no_new_privs  isolated", "seccomp       isolated     filter mode", "mounts        isolated     its own mount table: root ",
                    "CapBnd (bounding): none", "masked (/dev/null or an empty read-only tmpfs over /proc and /sys entries): /proc/")) {
                assertTrue(text.contains(expected), "\"" + expected + "\" in:\n" + text);
            }
            Cli.Result json = Cli.run(mode, List.of("inspect", "--json", id, "--root", root));
            assertEquals(0, json.exitCode(), json.describe());
            JsonNode parsed = new ObjectMapper().readTree(json.stdout());
            assertTrue(parsed.get("isolated").asBoolean());
            assertEquals(8, parsed.get("layers").size());
        } finally {
            container.process().destroy(); // SIGTERM: the launcher stops its container
            container.await(30);
        }
    }

    @Test
    void inspectOfAHostProcessSaysNotIsolatedAndAnUnknownIdIsOneLine() throws Exception {
        Mode.ROOT.assumeAvailable();
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            Cli.Result host = Cli.run(Mode.ROOT, List.of("inspect", Long.toString(sleeper.pid())));
            assertEquals(0, host.exitCode(), host.describe());
            assertTrue(host.stdout().startsWith("process " + sleeper.pid() + ": not isolated: it shares everything with the host"),
                    host.stdout());
            assertTrue(host.stdout().contains("namespaces    not isolated shares every namespace with the host"), host.stdout());
        } finally {
            sleeper.destroy();
            sleeper.waitFor();
        }
        Cli.Result unknown = Cli.run(Mode.ROOT, List.of("inspect", "no-such-container-teach", "--root", Containers.stateRoot(Mode.ROOT).toString()));
        assertEquals(1, unknown.exitCode(), unknown.describe());
        assertEquals("bulwark: no container or process \"no-such-container-teach\"\n", unknown.stderr());
    }

    /** runc's own default config (no linux.resources), run detached by runc: inspect reads it from /proc alone. */
    @Test
    void inspectReadsARuncContainer() throws Exception {
        Mode.ROOT.assumeAvailable();
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")), "runc is not installed (Debian package runc)");
        Path bundle = Bundles.create(Mode.ROOT, spec -> spec);
        Path runcRoot = Files.createTempDirectory("bulwark-it-runc");
        String id = "teach-runc-" + ProcessHandle.current().pid();
        try {
            Files.delete(bundle.resolve("config.json"));
            assertEquals(0, new ProcessBuilder("runc", "spec", "--bundle", bundle.toString()).inheritIO().start().waitFor());
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode config = (ObjectNode) mapper.readTree(bundle.resolve("config.json").toFile());
            ((ObjectNode) config.get("linux")).remove("resources"); // never a cgroup limit on this hybrid host
            ObjectNode process = (ObjectNode) config.get("process");
            process.put("terminal", false);
            ArrayNode args = process.putArray("args");
            args.add("sleep").add("60");
            mapper.writeValue(bundle.resolve("config.json").toFile(), config);
            Process run = new ProcessBuilder("runc", "--root", runcRoot.toString(), "run", "-d", "--bundle", bundle.toString(), id)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            assertEquals(0, run.waitFor(), "runc run -d");
            Process state = new ProcessBuilder("runc", "--root", runcRoot.toString(), "state", id).start();
            JsonNode runcState = mapper.readTree(state.getInputStream());
            state.waitFor();
            int pid = runcState.get("pid").asInt();
            Cli.Result inspected = Cli.run(Mode.ROOT, List.of("inspect", Integer.toString(pid)));
            assertEquals(0, inspected.exitCode(), inspected.describe());
            String text = inspected.stdout();
            for (String expected : List.of("namespaces    partly       5 of 7 namespaces are its own (pid, mnt, uts, ipc, net); shares user, cgroup",
                    "user ids      not isolated no user namespace of its own", "CapEff (effective): CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE",
                    "no_new_privs  isolated", "seccomp       not isolated no filter", "masked (/dev/null or an empty read-only tmpfs over /proc and /sys entries): /proc/")) {
                assertTrue(text.contains(expected), "\"" + expected + "\" in:\n" + text);
            }
        } finally {
            new ProcessBuilder("runc", "--root", runcRoot.toString(), "delete", "--force", id).inheritIO().start().waitFor();
            Bundles.delete(bundle);
            Cli.deleteTree(runcRoot);
        }
    }
}
