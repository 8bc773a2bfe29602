package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.Spec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A container with a writable cgroupfs can create child cgroups under its own and move its processes there. The tests
 * do what such a container could (from the host, as root, in the container's cgroup in the v2 hierarchy only): the
 * runtime must still pause, kill --all and delete it, leaving no process, cgroup or state directory. Also: a
 * linux.cgroupsPath below another container's cgroup is refused, and a config may not set cgroup.freeze through unified.
 */
class CgroupSubtreeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Mode MODE = Mode.ROOT;

    @Test
    void childCgroupsTheContainerMadeArePausedKilledAndRemovedWithIt() throws Exception {
        MODE.assumeAvailable();
        String id = "cgsub-kill-" + ProcessHandle.current().pid();
        String parent = "bulwark-it-cgsub-" + ProcessHandle.current().pid();
        // not named after the id: found again through findConfigured, which checks every process in the subtree
        Path bundle = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sh", "-c",
                "sleep 300 & sleep 300 & wait"), "/" + parent + "/cg-" + id, null));
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            createAndStart(id, bundle);
            Path cgroup = Path.of(state(id).get("cgroup").asText());
            List<Long> pids = awaitPids(cgroup, 3);
            Path deeper = escapeInto(cgroup, pids);

            assertEquals(0, Cli.run(MODE, cli("pause", id)).exitCode(), "pause with child cgroups");
            assertTrue(Files.readString(deeper.resolve("cgroup.events")).contains("frozen 1"), "the child cgroup is frozen too");
            assertEquals(0, Cli.run(MODE, cli("resume", id)).exitCode(), "resume with child cgroups");
            assertTrue(Files.readString(deeper.resolve("cgroup.events")).contains("frozen 0"), "the child cgroup is thawed");

            Cli.Result kill = Cli.run(MODE, cli("kill", "--all", id, "KILL"));
            assertEquals(0, kill.exitCode(), kill.describe());
            awaitTrue(() -> pids.stream().noneMatch(CgroupSubtreeTest::alive), "every process of the subtree is gone");
            awaitTrue(() -> status(id).equals("stopped"), "stopped");
            Cli.Result delete = Cli.run(MODE, cli("delete", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            assertFalse(Files.exists(cgroup), "the container's cgroup and its children are removed");
            Containers.assertNothingLeft(MODE, id, mountsBefore);
        } finally {
            cleanUp(id, bundle, parent);
        }
    }

    @Test
    void deleteForceEndsAndRemovesAContainerWithChildCgroups() throws Exception {
        MODE.assumeAvailable();
        String id = "cgsub-del-" + ProcessHandle.current().pid();
        String parent = "bulwark-it-cgsub-" + ProcessHandle.current().pid();
        Path bundle = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sh", "-c",
                "sleep 300 & sleep 300 & wait"), "/" + parent + "/" + id, null));
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            createAndStart(id, bundle);
            Path cgroup = Path.of(state(id).get("cgroup").asText());
            List<Long> pids = awaitPids(cgroup, 3);
            escapeInto(cgroup, pids);

            Cli.Result delete = Cli.run(MODE, cli("delete", "--force", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            awaitTrue(() -> pids.stream().noneMatch(CgroupSubtreeTest::alive), "every process of the subtree is gone");
            assertFalse(Files.exists(cgroup), "the container's cgroup and its children are removed");
            Containers.assertNothingLeft(MODE, id, mountsBefore);
        } finally {
            cleanUp(id, bundle, parent);
        }
    }

    @Test
    void aChildNamedWithANonUtf8ByteOrNestedDeepDoesNotHideProcessesOrBlockDelete() throws Exception {
        MODE.assumeAvailable();
        String id = "cgsub-odd-" + ProcessHandle.current().pid();
        String parent = "bulwark-it-cgsub-" + ProcessHandle.current().pid();
        Path bundle = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sh", "-c",
                "sleep 300 & sleep 300 & wait"), "/" + parent + "/cg-" + id, null));
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            createAndStart(id, bundle);
            Path cgroup = Path.of(state(id).get("cgroup").asText());
            assertEquals("32", Files.readString(cgroup.resolve("cgroup.max.depth")).strip(), "the runtime's nesting limit");
            assertEquals(0, Files.getAttribute(cgroup.resolve("cgroup.max.depth"), "unix:uid"),
                    "host root's: the container's mapped root cannot lift it");
            List<Long> pids = awaitPids(cgroup, 3);
            // what a container that can write its cgroup's files (rootless: they are its root's) could do: lift the
            // limit, hide a process in a child whose name is the byte 0xff and another 250 levels down
            String chain = String.join("/", java.util.Collections.nCopies(250, "d"));
            Process make = new ProcessBuilder("bash", "-c", "set -e; cd \"$1\"; echo max > cgroup.max.depth; "
                    + "mkdir $'\\xff'; echo \"$2\" > $'\\xff'/cgroup.procs; mkdir -p \"$4\"; echo \"$3\" > \"$4\"/cgroup.procs",
                    "bash", cgroup.toString(), pids.get(1).toString(), pids.get(2).toString(), chain)
                    .redirectErrorStream(true).start();
            String out = new String(make.getInputStream().readAllBytes());
            assertEquals(0, make.waitFor(), out);

            Cli.Result kill = Cli.run(MODE, cli("kill", "--all", id, "KILL"));
            assertEquals(0, kill.exitCode(), kill.describe());
            awaitTrue(() -> pids.stream().noneMatch(CgroupSubtreeTest::alive), "every process of the subtree is gone");
            awaitTrue(() -> status(id).equals("stopped"), "stopped");
            Cli.Result delete = Cli.run(MODE, cli("delete", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            assertFalse(Files.exists(cgroup), "the container's cgroup, the 0xff-named child and the deep chain are removed");
            Containers.assertNothingLeft(MODE, id, mountsBefore);
        } finally {
            cleanUp(id, bundle, parent);
        }
    }

    @Test
    void killAllWithAnotherSignalReachesTheProcessesInChildCgroups() throws Exception {
        MODE.assumeAvailable();
        String id = "cgsub-term-" + ProcessHandle.current().pid();
        String parent = "bulwark-it-cgsub-" + ProcessHandle.current().pid();
        Path bundle = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sh", "-c",
                "sleep 300 & sleep 300 & wait"), "/" + parent + "/" + id, null));
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            createAndStart(id, bundle);
            Path cgroup = Path.of(state(id).get("cgroup").asText());
            List<Long> pids = awaitPids(cgroup, 3);
            escapeInto(cgroup, pids);

            // TERM ends the two sleeps (in escape/deeper); the init, pid 1 of its namespace, ignores it, but its wait returns
            Cli.Result term = Cli.run(MODE, cli("kill", "--all", id, "TERM"));
            assertEquals(0, term.exitCode(), term.describe());
            awaitTrue(() -> pids.stream().noneMatch(CgroupSubtreeTest::alive), "TERM reached every process of the subtree");
            awaitTrue(() -> status(id).equals("stopped"), "stopped");
            Cli.Result delete = Cli.run(MODE, cli("delete", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            assertFalse(Files.exists(cgroup), "the container's cgroup and its children are removed");
            Containers.assertNothingLeft(MODE, id, mountsBefore);
        } finally {
            cleanUp(id, bundle, parent);
        }
    }

    @Test
    void aCgroupsPathBelowAnotherContainersCgroupIsRefused() throws Exception {
        MODE.assumeAvailable();
        String id = "cgsub-host-" + ProcessHandle.current().pid();
        String guest = "cgsub-guest-" + ProcessHandle.current().pid();
        String parent = "bulwark-it-cgsub-" + ProcessHandle.current().pid();
        Path hostBundle = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sleep", "300"),
                "/" + parent + "/" + id, null));
        String inside = "/" + parent + "/" + id + "/" + guest;
        Path unplaced = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sleep", "300"), inside, null));
        Path limited = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sleep", "300"), inside,
                Map.of("cgroup.max.descendants", "10")));
        try {
            createAndStart(id, hostBundle);
            Path cgroup = Path.of(state(id).get("cgroup").asText());
            awaitPids(cgroup, 1);

            // no limits (what engines pass): runs without a cgroup of its own, as where the path cannot be used
            createAndStart(guest, unplaced);
            assertNull(state(guest).get("cgroup"), "not placed below another container's cgroup");
            assertFalse(Files.exists(cgroup.resolve(guest)), "nothing created below the other container's cgroup");
            assertEquals(0, Cli.run(MODE, cli("delete", "--force", guest)).exitCode());

            // limits asked for: refused in one line naming the field
            Cli.Result create = Cli.run(MODE, cli("create", "--bundle", limited.toString(), guest));
            assertEquals(125, create.exitCode(), create.describe());
            assertTrue(create.errors().strip().matches("bulwark: .*linux\\.cgroupsPath: " + cgroup
                    + " holds processes of its own .*"), create.errors());
            assertEquals(1, create.errors().strip().lines().count(), create.errors());
            assertFalse(Files.exists(cgroup.resolve(guest)), "nothing created below the other container's cgroup");
            assertFalse(Files.exists(Cli.stateRoot(MODE).resolve(guest)), "no state directory left");
        } finally {
            cleanUp(guest, unplaced, parent);
            Bundles.delete(limited);
            cleanUp(id, hostBundle, parent);
        }
    }

    @Test
    void cgroupFreezeIsRuntimeOwnedInConfigAndUpdate() throws Exception {
        MODE.assumeAvailable();
        String id = "cgsub-freeze-" + ProcessHandle.current().pid();
        String parent = "bulwark-it-cgsub-" + ProcessHandle.current().pid();
        Path refused = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sleep", "300"),
                "/" + parent + "/" + id, Map.of("cgroup.freeze", "1")));
        Path bundle = Bundles.create(MODE, spec -> withCgroupsPath(Containers.withArgs(spec, "/bin/sleep", "300"),
                "/" + parent + "/" + id, null));
        Path resources = Files.createTempFile(Path.of("/tmp"), "bulwark-it-cgsub", ".json");
        try {
            Cli.Result create = Cli.run(MODE, cli("create", "--bundle", refused.toString(), id));
            assertEquals(125, create.exitCode(), create.describe());
            assertEquals("bulwark: linux.resources.unified[\"cgroup.freeze\"]: managed by the runtime; must not be set",
                    create.errors().strip());
            assertFalse(Files.exists(Cli.stateRoot(MODE).resolve(id)), "no state directory left");

            createAndStart(id, bundle);
            Path cgroup = Path.of(state(id).get("cgroup").asText());
            Files.writeString(resources, "{\"unified\": {\"cgroup.freeze\": \"1\"}}");
            Cli.Result update = Cli.run(MODE, cli("update", "--resources", resources.toString(), id));
            assertEquals(125, update.exitCode(), update.describe());
            assertTrue(update.errors().contains("cgroup.freeze") && update.errors().contains("managed by the runtime"),
                    update.errors());
            assertTrue(Files.readString(cgroup.resolve("cgroup.freeze")).strip().equals("0"), "not frozen");
            assertEquals("running", status(id));
        } finally {
            Files.deleteIfExists(resources);
            Bundles.delete(refused);
            cleanUp(id, bundle, parent);
        }
    }

    /**
     * What a container with a writable cgroupfs could do: moves its processes into {@code escape} and
     * {@code escape/deeper}, leaving its own cgroup without processes. Returns the deepest one.
     */
    private static Path escapeInto(Path cgroup, List<Long> pids) throws IOException {
        Path escape = Files.createDirectory(cgroup.resolve("escape"));
        Path deeper = Files.createDirectory(escape.resolve("deeper"));
        for (int i = 0; i < pids.size(); i++) {
            Files.writeString((i == 0 ? escape : deeper).resolve("cgroup.procs"), Long.toString(pids.get(i)));
        }
        assertEquals("", Files.readString(cgroup.resolve("cgroup.procs")).strip(), "the container's cgroup is left empty");
        return deeper;
    }

    private static List<Long> awaitPids(Path cgroup, int count) throws Exception {
        List<Long> pids = new ArrayList<>();
        awaitTrue(() -> {
            pids.clear();
            try {
                Files.readString(cgroup.resolve("cgroup.procs")).lines().map(Long::parseLong).forEach(pids::add);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return pids.size() == count;
        }, count + " processes in " + cgroup);
        return pids;
    }

    private static Spec withCgroupsPath(Spec spec, String path, Map<String, String> unified) {
        Linux l = spec.linux();
        LinuxResources resources = unified == null ? null
                : new LinuxResources(null, null, null, null, null, null, null, null, unified);
        return spec.withLinux(new Linux(l.uidMappings(), l.gidMappings(), l.sysctl(), resources, path,
                l.namespaces(), l.devices(), l.seccomp(), l.rootfsPropagation(), l.maskedPaths(), l.readonlyPaths(),
                l.mountLabel(), l.intelRdt(), l.personality(), l.timeOffsets()));
    }

    private static void createAndStart(String id, Path bundle) {
        // the workload inherits create's stdout: /dev/null, so that create's result does not wait for the workload
        Cli.Result create = Cli.runWithStdout(MODE, List.of(), cli("create", "--bundle", bundle.toString(), id), Path.of("/dev/null"));
        assertEquals(0, create.exitCode(), create.describe());
        Cli.Result start = Cli.run(MODE, cli("start", id));
        assertEquals(0, start.exitCode(), start.describe());
    }

    private static List<String> cli(String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(MODE).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    private static JsonNode state(String id) throws IOException {
        Cli.Result state = Cli.run(MODE, cli("state", id));
        assertEquals(0, state.exitCode(), state.describe());
        return JSON.readTree(state.stdout());
    }

    private static String status(String id) {
        try {
            return state(id).get("status").asText();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Not gone, not a zombie. */
    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[0];
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException e) {
            return false;
        }
    }

    /** Deletes the container if the test left it, the bundle, and the test's parent cgroup in the v2 hierarchy. */
    private static void cleanUp(String id, Path bundle, String parent) throws IOException {
        if (Files.exists(Cli.stateRoot(MODE).resolve(id))) {
            Cli.run(MODE, cli("delete", "--force", id));
        }
        Bundles.delete(bundle);
        Path dir = v2Root().resolve(parent);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        // still populated: another test of this class uses it; its own clean-up removes it
                    }
                }
            }
        }
    }

    private static Path v2Root() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ");
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                return Path.of(halves[0].split(" ")[4]);
            }
        }
        assumeTrue(false, "no cgroup v2 hierarchy is mounted");
        throw new IllegalStateException();
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
