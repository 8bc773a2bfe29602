package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code linux.namespaces[].path} for user, mount and pid namespaces (and network beside a joined or a new user one), on
 * real containers: each test starts an {@code unshare} process that holds the namespaces to join, runs a
 * container that joins them, compares the container init's {@code /proc/PID/ns/*} with the target's, and
 * ends the {@code unshare} process and its child by pid.
 */
class NamespaceJoinTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PRINT_NAMESPACES = "for n in user pid mnt net; do echo $n=$(readlink /proc/self/ns/$n); done; echo self=$$";
    private static int counter;

    private static String newId() {
        return "it-nsjoin-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** An unshare process (and its child, with --fork) holding new namespaces; closed by pid. */
    private record Target(Process process) implements AutoCloseable {
        static Target start(Mode mode, String... unshareOptions) throws Exception {
            List<String> command = new ArrayList<>();
            if (mode == Mode.ROOTLESS) {
                command.addAll(List.of("setpriv", "--reuid=" + Mode.rootlessUid(), "--regid=" + Mode.rootlessGid(),
                        "--clear-groups", "--"));
            }
            command.add("unshare");
            command.addAll(List.of(unshareOptions));
            command.addAll(List.of("sleep", "600"));
            Target target = new Target(new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            try {
                return target.awaitReady(unshareOptions);
            } catch (Throwable e) {
                target.close(); // not ready: end it here, no one else will
                throw e;
            }
        }

        private Target awaitReady(String... unshareOptions) throws Exception {
            Target target = this;
            List<String> types = List.of("user", "pid_for_children", "mnt", "net", "time_for_children");
            List<String> own = types.stream().map(type -> namespace("self", type)).toList();
            long deadline = System.nanoTime() + 5_000_000_000L;
            // unshare is ready once its (or, with --fork, its children's) namespaces are no longer ours
            while (own.equals(types.stream().map(type -> namespace(target.pid(), type)).toList())) {
                assertTrue(System.nanoTime() < deadline, "unshare " + String.join(" ", unshareOptions) + " did not start");
                Thread.sleep(20);
            }
            while (List.of(unshareOptions).contains("--map-root-user")
                    && Files.readString(Path.of("/proc", target.pid(), "uid_map")).isBlank()) { // maps come after unshare(2)
                assertTrue(System.nanoTime() < deadline, "unshare did not write its maps");
                Thread.sleep(20);
            }
            return target;
        }

        String pid() {
            return Long.toString(process.pid());
        }

        String path(String type) {
            return "/proc/" + pid() + "/ns/" + type;
        }

        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroyForcibly); // by pid: only what this test started
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String namespace(String pid, String type) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", pid, "ns", type)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets {@code path} on the namespace entry of {@code type}, adding the entry when the config lacks it. */
    private static Consumer<ObjectNode> join(String type, String path) {
        return config -> {
            ArrayNode namespaces = (ArrayNode) config.get("linux").get("namespaces");
            for (JsonNode namespace : namespaces) {
                if (namespace.get("type").asText().equals(type)) {
                    ((ObjectNode) namespace).put("path", path);
                    return;
                }
            }
            namespaces.addObject().put("type", type).put("path", path);
        };
    }

    private static Consumer<ObjectNode> all(List<Consumer<ObjectNode>> edits) {
        return config -> edits.forEach(edit -> edit.accept(config));
    }

    private static Map<String, String> printed(String stdout) {
        Map<String, String> values = new java.util.HashMap<>();
        stdout.lines().filter(line -> line.contains("=")).forEach(line -> values.put(line.substring(0, line.indexOf('=')),
                line.substring(line.indexOf('=') + 1).strip()));
        return values;
    }

    private static Cli.Result runBundle(Mode mode, Path bundle, String id) {
        try {
            return Cli.start(mode, Containers.runBundle(mode, bundle, id)).await(60);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void pidAndMountNamespacesAreJoinedByTheInitThatCreateRecords() throws Exception {
        Mode.ROOT.assumeAvailable();
        try (Target target = Target.start(Mode.ROOT, "--pid", "--fork", "--mount")) {
            String id = newId();
            Path bundle = RealConfigsTest.bundle(Mode.ROOT, "runc.json", "sleep 600",
                    all(List.of(join("pid", target.path("pid_for_children")), join("mount", target.path("mnt")))));
            try {
                Cli.Result created = Cli.run(Mode.ROOT, List.of("create", "--bundle", bundle.toString(), "--root",
                        Containers.stateRoot(Mode.ROOT).toString(), id));
                assertEquals(0, created.exitCode(), created.describe());
                Cli.Result state = Cli.run(Mode.ROOT, List.of("state", "--root", Containers.stateRoot(Mode.ROOT).toString(), id));
                String init = Long.toString(JSON.readTree(state.stdout()).get("pid").asLong());
                assertEquals(namespace(target.pid(), "pid_for_children"), namespace(init, "pid"), "the init is in the joined pid namespace");
                assertEquals(namespace(target.pid(), "mnt"), namespace(init, "mnt"), "and in the joined mount namespace");
                assertNotEquals(namespace("self", "net"), namespace(init, "net"), "a new network namespace beside them");
                String nsPid = Files.readAllLines(Path.of("/proc", init, "status")).stream()
                        .filter(line -> line.startsWith("NSpid:")).findFirst().orElseThrow();
                assertTrue(nsPid.matches("NSpid:\\s+" + init + "\\s+[2-9]\\d*"), "not pid 1 there (unshare's sleep is): " + nsPid);

                Cli.Result started = Cli.run(Mode.ROOT, List.of("start", "--root", Containers.stateRoot(Mode.ROOT).toString(), id));
                assertEquals(0, started.exitCode(), started.describe());
                Cli.Result killed = Cli.run(Mode.ROOT, List.of("kill", "--root", Containers.stateRoot(Mode.ROOT).toString(), id, "KILL"));
                assertEquals(0, killed.exitCode(), killed.describe());
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (Files.exists(Path.of("/proc", init)) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertFalse(Files.exists(Path.of("/proc", init)), "kill reached the real init, pid " + init);
                Cli.Result deleted = Cli.run(Mode.ROOT, List.of("delete", "--root", Containers.stateRoot(Mode.ROOT).toString(), id));
                assertEquals(0, deleted.exitCode(), deleted.describe());
                assertFalse(Files.exists(Containers.stateRoot(Mode.ROOT).resolve(id)));
            } finally {
                Cli.run(Mode.ROOT, List.of("delete", "--force", "--root", Containers.stateRoot(Mode.ROOT).toString(), id));
                Bundles.delete(bundle);
            }
        }
    }

    /** setns into a time namespace needs a process that shares no memory: run (vfork spawn by default) must fork for it. */
    @Test
    void aTimeNamespaceIsJoinedByRun() throws Exception {
        Mode.ROOT.assumeAvailable();
        try (Target target = Target.start(Mode.ROOT, "--time", "--fork")) {
            Cli.Result result = runBundle(Mode.ROOT, RealConfigsTest.bundle(Mode.ROOT, "runc.json",
                    "echo time=$(readlink /proc/self/ns/time)", join("time", target.path("time_for_children"))), newId());
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(namespace(target.pid(), "time_for_children"), printed(result.stdout()).get("time"), result.describe());
        }
    }

    @Test
    void runWaitsForTheForkedInitAndReturnsItsStatus() throws Exception {
        Mode.ROOT.assumeAvailable();
        try (Target target = Target.start(Mode.ROOT, "--pid", "--fork")) {
            Cli.Result result = runBundle(Mode.ROOT, RealConfigsTest.bundle(Mode.ROOT, "runc.json", PRINT_NAMESPACES + "; exit 7",
                    join("pid", target.path("pid_for_children"))), newId());
            assertEquals(7, result.exitCode(), result.describe());
            assertEquals(namespace(target.pid(), "pid_for_children"), printed(result.stdout()).get("pid"), result.describe());
            assertNotEquals("1", printed(result.stdout()).get("self"), result.describe());
        }
    }

    @Test
    void aUserNamespaceIsJoinedAsRootAndTheNewOnesBelongToIt() throws Exception {
        Mode.ROOT.assumeAvailable();
        try (Target target = Target.start(Mode.ROOT, "--user")) {
            Files.writeString(Path.of("/proc", target.pid(), "uid_map"), "0 1300000000 65536\n");
            Files.writeString(Path.of("/proc", target.pid(), "gid_map"), "0 1300000000 65536\n");
            Cli.Result result = runBundle(Mode.ROOT, RealConfigsTest.bundle(Mode.ROOT, "runc.json",
                    PRINT_NAMESPACES + "; echo map=$(cat /proc/self/uid_map); echo id=$(id -u)", join("user", target.path("user"))), newId());
            assertEquals(0, result.exitCode(), result.describe());
            Map<String, String> printed = printed(result.stdout());
            assertEquals(namespace(target.pid(), "user"), printed.get("user"), result.describe());
            assertEquals("0 1300000000 65536", printed.get("map").replaceAll("\\s+", " "), "the namespace's own maps, untouched");
            assertEquals("1", printed.get("self"), "a new pid namespace, unshared in the joined user namespace: " + result.describe());
            assertEquals("0", printed.get("id"), result.describe());
            // maps in the config would be dropped: refused in one line
            Cli.Result withMaps = runBundle(Mode.ROOT, RealConfigsTest.bundle(Mode.ROOT, "runc.json", "true", all(List.of(
                    join("user", target.path("user")),
                    c -> ((ObjectNode) c.get("linux")).putArray("uidMappings").addObject()
                            .put("containerID", 0).put("hostID", 1300000000).put("size", 65536)))), newId());
            assertEquals(125, withMaps.exitCode(), withMaps.describe());
            assertEquals("bulwark: linux.uidMappings: a joined user namespace (linux.namespaces[].path) keeps its own maps;"
                    + " remove the mappings or the path", withMaps.errors().strip());
        }
        // root drops the host's supplementary groups; a namespace whose setgroups says "deny" is named in one line
        try (Target denying = Target.start(Mode.ROOT, "--user", "--map-root-user")) {
            Path bundle = RealConfigsTest.bundle(Mode.ROOT, "runc.json", "true", join("user", denying.path("user")));
            int index = indexOf(bundle, "user");
            Cli.Result result = runBundle(Mode.ROOT, bundle, newId());
            assertEquals(125, result.exitCode(), result.describe());
            assertEquals("bulwark: linux.namespaces[" + index + "].path: drop the host's supplementary groups (the joined user"
                    + " namespace must allow setgroups): EPERM (Operation not permitted)", result.errors().strip());
        }
    }

    @Test
    void rootlessJoinsTheUserNetworkAndPidNamespacesItsUserMade() throws Exception {
        Mode.ROOTLESS.assumeAvailable();
        try (Target target = Target.start(Mode.ROOTLESS, "--user", "--map-root-user", "--net", "--pid", "--fork")) {
            Consumer<ObjectNode> withoutMaps = c -> {
                ObjectNode linux = (ObjectNode) c.get("linux");
                linux.remove("uidMappings");
                linux.remove("gidMappings");
            };
            Cli.Result result = runBundle(Mode.ROOTLESS, RealConfigsTest.bundle(Mode.ROOTLESS, "runc-rootless.json", PRINT_NAMESPACES,
                    all(List.of(withoutMaps, join("user", target.path("user")), join("network", target.path("net"))))), newId());
            assertEquals(0, result.exitCode(), result.describe());
            Map<String, String> printed = printed(result.stdout());
            assertEquals(namespace(target.pid(), "user"), printed.get("user"), result.describe());
            assertEquals(namespace(target.pid(), "net"), printed.get("net"), result.describe());
            assertNotEquals(namespace(target.pid(), "mnt"), printed.get("mnt"), "a new mount namespace: " + result.describe());
            assertEquals("1", printed.get("self"), "a new pid namespace, unshared in the joined user namespace: " + result.describe());
            // and its pid namespace too: the init is forked into it, not its first process
            Cli.Result pid = runBundle(Mode.ROOTLESS, RealConfigsTest.bundle(Mode.ROOTLESS, "runc-rootless.json", PRINT_NAMESPACES,
                    all(List.of(withoutMaps, join("user", target.path("user")), join("pid", target.path("pid_for_children"))))), newId());
            assertEquals(0, pid.exitCode(), pid.describe());
            assertEquals(namespace(target.pid(), "pid_for_children"), printed(pid.stdout()).get("pid"), pid.describe());
            assertNotEquals("1", printed(pid.stdout()).get("self"), pid.describe());
        }
    }

    /** The host id container root maps to, from a printed "map=0 HOST COUNT" line. */
    private static long containerRootHostId(Map<String, String> printed) {
        String[] fields = printed.get("map").strip().split("\\s+");
        assertEquals("0", fields[0], "container root is mapped: " + printed);
        return Long.parseLong(fields[1]);
    }

    private static Cli.Result runWithProfile(String profile, Path bundle, String id) {
        try {
            List<String> args = new ArrayList<>(List.of("--profile", profile));
            args.addAll(Containers.runBundle(Mode.ROOT, bundle, id));
            return Cli.start(Mode.ROOT, args).await(60);
        } finally {
            Bundles.delete(bundle);
        }
    }

    private static void assertNothingLeft(String id, Set<String> mountsBefore) throws IOException {
        Containers.assertNothingLeft(Mode.ROOT, id, mountsBefore);
        assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup of " + id + " left");
    }

    /**
     * Podman's case under the hardened profile: a config joins a network namespace (here an {@code unshare -n}
     * process's) and the profile adds a new user namespace. The child joins first, with the launcher's rights,
     * then makes its user namespace and the others (as runc's nsexec).
     */
    @Test
    void aNetworkNamespaceIsJoinedUnderTheHardenedProfilesNewUserNamespace() throws Exception {
        Mode.ROOT.assumeAvailable();
        try (Target target = Target.start(Mode.ROOT, "--net")) {
            Set<String> mountsBefore = Containers.hostMounts();
            String id = newId();
            Cli.Result result = runWithProfile("hardened", RealConfigsTest.bundle(Mode.ROOT, "runc.json",
                    PRINT_NAMESPACES + "; echo map=$(cat /proc/self/uid_map); echo id=$(id -u); ls /sys/class/net >/dev/null && echo sys=ok",
                    join("network", target.path("net"))), id);
            assertEquals(0, result.exitCode(), result.describe());
            Map<String, String> printed = printed(result.stdout());
            assertEquals(namespace(target.pid(), "net"), printed.get("net"), "the joined network namespace: " + result.describe());
            assertNotEquals(namespace("self", "user"), printed.get("user"), "a new user namespace: " + result.describe());
            assertTrue(containerRootHostId(printed) >= 65536, "container root is an unprivileged host id: " + result.describe());
            assertEquals("0", printed.get("id"), "setup ran as the new namespace's root: " + result.describe());
            assertEquals("1", printed.get("self"), "a new pid namespace, the init forked into it: " + result.describe());
            assertEquals("ok", printed.get("sys"), "/sys is the host's, bound (sysfs needs the network namespace's owner): "
                    + result.describe());
            assertNothingLeft(id, mountsBefore);

            // a failure after the stop for the maps leaves nothing either
            String failing = newId();
            Cli.Result missing = runWithProfile("hardened", RealConfigsTest.bundle(Mode.ROOT, "runc.json", "true", all(List.of(
                    join("network", target.path("net")),
                    c -> ((ObjectNode) c.get("process")).putArray("args").add("/no/such/binary")))), failing);
            assertEquals(127, missing.exitCode(), missing.describe());
            assertTrue(missing.errors().strip().startsWith("bulwark: process.args[0]: /no/such/binary not found"), missing.describe());
            assertNothingLeft(failing, mountsBefore);
        }
    }

    /**
     * Hooks of such a container run for its real init (the process forked into the new pid namespace), and
     * createContainer and startContainer join the network namespace the config joined (owned by the host's
     * user namespace: joined before the container's user namespace).
     */
    @Test
    void hooksOfAHardenedContainerThatJoinsANetworkNamespaceRunInItsNamespaces() throws Exception {
        Mode.ROOT.assumeAvailable();
        Path out = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-nsjoin-hooks");
        Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx")); // container root writes
        try (Target target = Target.start(Mode.ROOT, "--net")) {
            Set<String> mountsBefore = Containers.hostMounts();
            String id = newId();
            Consumer<ObjectNode> hooks = c -> {
                ObjectNode all = c.putObject("hooks");
                // state.json, which state and kill read, must name the forked init while setup hooks run
                all.putArray("createRuntime").addObject().put("path", "/bin/sh").putArray("args")
                        .add("sh").add("-c").add("pid=$(grep -o '\"pid\" *: *[0-9]*' " + Cli.stateRoot(Mode.ROOT).resolve(id)
                                + "/state.json | grep -o '[0-9]*$'); readlink /proc/$pid/ns/pid > " + out + "/recorded-pidns");
                all.putArray("createContainer").addObject().put("path", "/bin/sh").putArray("args")
                        .add("sh").add("-c").add("readlink /proc/self/ns/net > " + out + "/create-container; "
                                + "readlink /proc/self/ns/pid > " + out + "/create-container-pidns");
                all.putArray("startContainer").addObject().put("path", "/bin/sh").putArray("args")
                        .add("sh").add("-c").add("echo start-container=$(readlink /proc/self/ns/net)");
            };
            Cli.Result result = runWithProfile("hardened", RealConfigsTest.bundle(Mode.ROOT, "runc.json", PRINT_NAMESPACES,
                    all(List.of(join("network", target.path("net")), hooks))), id);
            assertEquals(0, result.exitCode(), result.describe());
            String net = namespace(target.pid(), "net");
            assertEquals(net, printed(result.stdout()).get("net"), result.describe());
            assertEquals(net, Files.readString(out.resolve("create-container")).strip(), "createContainer in the joined network namespace");
            String containerPidns = Files.readString(out.resolve("create-container-pidns")).strip();
            assertNotEquals(namespace("self", "pid"), containerPidns, "the container's own pid namespace");
            assertEquals(containerPidns, Files.readString(out.resolve("recorded-pidns")).strip(),
                    "state.json names the forked init while createRuntime runs");
            assertTrue(result.errors().contains("start-container=" + net), "startContainer too: " + result.describe());
            assertNothingLeft(id, mountsBefore);
        } finally {
            Cli.deleteTree(out);
        }
    }

    /** The oci profile, a config that lists a new user namespace (with its own maps) beside a joined network namespace. */
    @Test
    void anOciConfigWithANewUserNamespaceJoinsANetworkNamespace() throws Exception {
        Mode.ROOT.assumeAvailable();
        try (Target target = Target.start(Mode.ROOT, "--net")) {
            Set<String> mountsBefore = Containers.hostMounts();
            String id = newId();
            Cli.Result result = runWithProfile("oci", RealConfigsTest.bundle(Mode.ROOT, "runc.json",
                    PRINT_NAMESPACES + "; echo map=$(cat /proc/self/uid_map)", all(List.of(
                            join("network", target.path("net")),
                            c -> ((ArrayNode) c.get("linux").get("namespaces")).addObject().put("type", "user"),
                            c -> ((ObjectNode) c.get("linux")).putArray("uidMappings").addObject()
                                    .put("containerID", 0).put("hostID", 1300000000).put("size", 65536),
                            c -> ((ObjectNode) c.get("linux")).putArray("gidMappings").addObject()
                                    .put("containerID", 0).put("hostID", 1300000000).put("size", 65536)))), id);
            assertEquals(0, result.exitCode(), result.describe());
            Map<String, String> printed = printed(result.stdout());
            assertEquals(namespace(target.pid(), "net"), printed.get("net"), result.describe());
            assertEquals("0 1300000000 65536", printed.get("map").replaceAll("\\s+", " "), "the config's maps: " + result.describe());
            assertEquals("1", printed.get("self"), result.describe());
            assertNothingLeft(id, mountsBefore);
        }
    }

    /** create, state, start, delete from fresh processes, the init in the joined network namespace and a new user one. */
    @Test
    void createStartDeleteOfAHardenedContainerThatJoinsANetworkNamespace() throws Exception {
        Mode.ROOT.assumeAvailable();
        try (Target target = Target.start(Mode.ROOT, "--net")) {
            Set<String> mountsBefore = Containers.hostMounts();
            String id = newId();
            String root = Containers.stateRoot(Mode.ROOT).toString();
            Path bundle = RealConfigsTest.bundle(Mode.ROOT, "runc.json", "sleep 600", join("network", target.path("net")));
            try {
                Cli.Result created = Cli.run(Mode.ROOT, List.of("--profile", "hardened", "create", "--bundle", bundle.toString(),
                        "--root", root, id));
                assertEquals(0, created.exitCode(), created.describe());
                Cli.Result state = Cli.run(Mode.ROOT, List.of("state", "--root", root, id));
                JsonNode json = JSON.readTree(state.stdout());
                assertEquals("created", json.get("status").asText(), state.describe());
                String init = Long.toString(json.get("pid").asLong());
                assertEquals(namespace(target.pid(), "net"), namespace(init, "net"), "the init is in the joined network namespace");
                assertNotEquals(namespace("self", "user"), namespace(init, "user"), "and in a new user namespace");
                String[] map = Files.readString(Path.of("/proc", init, "uid_map")).strip().split("\\s+");
                assertEquals("0", map[0]);
                assertTrue(Long.parseLong(map[1]) >= 65536, "container root is an unprivileged host id: " + String.join(" ", map));
                String nsPid = Files.readAllLines(Path.of("/proc", init, "status")).stream()
                        .filter(line -> line.startsWith("NSpid:")).findFirst().orElseThrow();
                assertTrue(nsPid.matches("NSpid:\\s+" + init + "\\s+1"), "pid 1 of a new pid namespace: " + nsPid);

                Cli.Result started = Cli.run(Mode.ROOT, List.of("start", "--root", root, id));
                assertEquals(0, started.exitCode(), started.describe());
                Cli.Result killed = Cli.run(Mode.ROOT, List.of("kill", "--root", root, id, "KILL"));
                assertEquals(0, killed.exitCode(), killed.describe());
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (Files.exists(Path.of("/proc", init)) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertFalse(Files.exists(Path.of("/proc", init)), "kill reached the init, pid " + init);
                Cli.Result deleted = Cli.run(Mode.ROOT, List.of("delete", "--root", root, id));
                assertEquals(0, deleted.exitCode(), deleted.describe());
                assertNothingLeft(id, mountsBefore);
            } finally {
                Cli.run(Mode.ROOT, List.of("delete", "--force", "--root", root, id));
                Bundles.delete(bundle);
            }
        }
    }

    /**
     * Rootless, setns(2) into a network (or any non-user) namespace also needs CAP_SYS_ADMIN in the caller's own
     * user namespace, never held in the host's: with a new user namespace the join is refused in one line.
     */
    @Test
    void rootlessAJoinBeforeANewUserNamespaceIsOneLineAndLeavesNothing() throws Exception {
        Mode.ROOTLESS.assumeAvailable();
        try (Target target = Target.start(Mode.ROOTLESS, "--user", "--map-root-user", "--net")) {
            Set<String> mountsBefore = Containers.hostMounts();
            String id = newId();
            Path bundle = RealConfigsTest.bundle(Mode.ROOTLESS, "runc-rootless.json", "true", all(List.of(
                    c -> {
                        ObjectNode linux = (ObjectNode) c.get("linux");
                        linux.remove("uidMappings");
                        linux.remove("gidMappings");
                    }, join("network", target.path("net")))));
            int index = indexOf(bundle, "network");
            Cli.Result result = runBundle(Mode.ROOTLESS, bundle, id);
            assertEquals(125, result.exitCode(), result.describe());
            assertEquals("bulwark: linux.namespaces[" + index + "].path: rootless, a network namespace can be joined only together"
                    + " with the user namespace that owns it (give that user namespace's path too): the kernel asks for"
                    + " CAP_SYS_ADMIN in the caller's own user namespace", result.errors().strip(), result.describe());
            Containers.assertNothingLeft(Mode.ROOTLESS, id, mountsBefore);
        }
    }

    @Test
    void aFileOfAnotherTypeIsOneLineAndLeavesNothing() throws Exception {
        for (Mode mode : List.of(Mode.ROOT, Mode.ROOTLESS)) {
            mode.assumeAvailable();
            String[] unshare = mode == Mode.ROOT ? new String[] {"--net"} : new String[] {"--user", "--map-root-user", "--net"};
            try (Target target = Target.start(mode, unshare)) {
                Set<String> mountsBefore = Containers.hostMounts();
                String id = newId();
                String type = mode == Mode.ROOT ? "pid" : "user";
                Path bundle = RealConfigsTest.bundle(mode, mode == Mode.ROOT ? "runc.json" : "runc-rootless.json", "true", all(List.of(
                        c -> {
                            ObjectNode linux = (ObjectNode) c.get("linux");
                            linux.remove("uidMappings");
                            linux.remove("gidMappings");
                        }, join(type, target.path("net")))));
                int index = indexOf(bundle, type);
                Cli.Result result = runBundle(mode, bundle, id);
                assertEquals(125, result.exitCode(), result.describe());
                assertEquals("bulwark: linux.namespaces[" + index + "].path: " + target.path("net")
                        + " is a network namespace, not a " + type + " namespace", result.errors().strip(), mode + ": " + result.describe());
                Containers.assertNothingLeft(mode, id, mountsBefore);
            }
        }
    }

    @Test
    void theHostsMountNamespaceIsRefused() {
        Mode.ROOT.assumeAvailable();
        Set<String> mountsBefore = Containers.hostMounts();
        String id = newId();
        Cli.Result result = runBundle(Mode.ROOT, RealConfigsTest.bundle(Mode.ROOT, "runc.json", "true",
                join("mount", "/proc/self/ns/mnt")), id); // /proc/self: the launcher itself
        assertEquals(125, result.exitCode(), result.describe());
        assertTrue(result.errors().strip().matches("bulwark: linux\\.namespaces\\[\\d+]\\.path: /proc/self/ns/mnt is the host's mount"
                + " namespace \\(the launcher's or PID 1's\\); .*"), result.describe());
        Containers.assertNothingLeft(Mode.ROOT, id, mountsBefore);
    }

    private static int indexOf(Path bundle, String type) {
        try {
            JsonNode namespaces = JSON.readTree(bundle.resolve("config.json").toFile()).get("linux").get("namespaces");
            for (int i = 0; i < namespaces.size(); i++) {
                if (namespaces.get(i).get("type").asText().equals(type)) {
                    return i;
                }
            }
            throw new AssertionError("no " + type + " namespace in the config");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
