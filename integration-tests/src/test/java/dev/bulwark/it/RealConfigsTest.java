package dev.bulwark.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Configs Bulwark did not write, on real containers: the output of {@code runc spec} and {@code crun spec}
 * (runc 1.1.5, crun 1.8.1; resources {@code realconfigs/}, generated as root) runs unchanged but for the
 * command and {@code terminal: false}, as root and (the {@code --rootless} variants) as the test user; and
 * the oci profile (the default) runs what the config says where {@code --profile hardened} lifts it.
 */
class RealConfigsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROBE = "id -u; grep -E 'NoNewPrivs|Seccomp:' /proc/self/status; readlink /proc/self/ns/user;"
            + " cat /proc/self/uid_map; grep ' /sys/fs/cgroup ' /proc/self/mountinfo; ls /sys/firmware | wc -l";
    private static int counter;

    private static String newId() {
        return "it-real-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** A busybox bundle for {@code mode} whose config.json is {@code resource}, edited; the command runs {@code script}. */
    static Path bundle(Mode mode, String resource, String script, Consumer<ObjectNode> edit) {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> spec);
        try (InputStream in = RealConfigsTest.class.getResourceAsStream("/realconfigs/" + resource)) {
            ObjectNode config = (ObjectNode) JSON.readTree(in);
            ObjectNode process = (ObjectNode) config.get("process");
            process.put("terminal", false);
            ArrayNode args = process.putArray("args");
            args.add("/bin/sh").add("-c").add(script);
            edit.accept(config);
            Files.writeString(bundle.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Cli.Result run(Mode mode, Path bundle, String... flags) {
        return run(mode, bundle, Map.of(), flags);
    }

    private static Cli.Result run(Mode mode, Path bundle, Map<String, String> environment, String... flags) {
        try {
            List<String> args = Containers.runBundle(mode, bundle, newId());
            args.addAll(1, List.of(flags));
            return Cli.start(mode, args, environment).await(60);
        } finally {
            Bundles.delete(bundle);
        }
    }

    private static String hostUserNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String line(String stdout, String prefix) {
        return stdout.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(prefix + " (missing)")
                .substring(prefix.length()).strip();
    }

    // --- runc spec and crun spec output, unchanged ---

    @Test
    void runcSpecRunsAsRootWithoutAUserNamespace() {
        Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", PROBE, c -> { }));
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().startsWith("0\n"), result.describe());
        assertEquals("1", line(result.stdout(), "NoNewPrivs:"), "runc spec asks for no_new_privs: " + result.describe());
        assertEquals("0", line(result.stdout(), "Seccomp:"), "no linux.seccomp, no filter: " + result.describe());
        assertTrue(result.stdout().contains(hostUserNamespace()), "no user namespace listed, none made: " + result.describe());
        // the cgroup mount without a cgroup namespace: a read-only bind of the container's cgroup v2 directory
        assertTrue(result.stdout().lines().anyMatch(l -> l.contains(" /sys/fs/cgroup ro,") && l.contains("cgroup2")),
                result.describe());
        assertTrue(result.stdout().strip().endsWith("\n0"), "masked /sys/firmware is an empty directory: " + result.describe());
    }

    @Test
    void crunSpecRunsAsRoot() {
        Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "crun.json", PROBE, c -> { }));
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().contains(hostUserNamespace()), result.describe());
    }

    @Test
    void rootlessSpecsWrittenByRootRunAsRoot() {
        // runc's maps container 0 to host 0 (the caller, root): the oci profile runs what the config says.
        Cli.Result runc = run(Mode.ROOT, bundle(Mode.ROOT, "runc-rootless.json", PROBE, c -> { }));
        assertEquals(0, runc.exitCode(), runc.describe());
        assertNotEquals(hostUserNamespace(), "user:" + line(runc.stdout(), "user:"), runc.describe());
        assertTrue(runc.stdout().lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals("0 0 1")), runc.describe());
        // crun's has no mappings: as root, container root maps to the unprivileged host range
        Cli.Result crun = run(Mode.ROOT, bundle(Mode.ROOT, "crun-rootless.json", PROBE, c -> { }));
        assertEquals(0, crun.exitCode(), crun.describe());
        assertTrue(crun.stdout().lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals("0 1000000000 65536")),
                crun.describe());
    }

    @Test
    void rootlessSpecsRunAsTheUnprivilegedUser() {
        Mode mode = Mode.ROOTLESS;
        mode.assumeAvailable();
        int uid = Mode.rootlessUid();
        // crun spec --rootless has no id mappings: the caller is mapped, as crun does
        Cli.Result crun = run(mode, bundle(mode, "crun-rootless.json", PROBE, c -> { }));
        assertEquals(0, crun.exitCode(), crun.describe());
        assertTrue(crun.stdout().startsWith("0\n"), crun.describe());
        assertTrue(crun.stdout().lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals("0 " + uid + " 1")),
                crun.describe());
        // runc spec --rootless, as that user would write it: container 0 -> the user's own uid and gid
        Cli.Result runc = run(mode, bundle(mode, "runc-rootless.json", PROBE, c -> {
            ObjectNode linux = (ObjectNode) c.get("linux");
            ((ObjectNode) linux.get("uidMappings").get(0)).put("hostID", uid);
            ((ObjectNode) linux.get("gidMappings").get(0)).put("hostID", Mode.rootlessGid());
        }));
        assertEquals(0, runc.exitCode(), runc.describe());
        assertTrue(runc.stdout().lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals("0 " + uid + " 1")),
                runc.describe());
    }

    @Test
    void rootlessWithoutAUserNamespaceIsOneLine() {
        Cli.Result result = run(Mode.ROOTLESS, bundle(Mode.ROOTLESS, "runc.json", "true", c -> { }));
        assertEquals(125, result.exitCode(), result.describe());
        assertEquals("bulwark: linux.namespaces: running without root needs a user namespace; add {\"type\": \"user\"}"
                + " or use --profile hardened", result.errors().strip());
    }

    // --- profiles ---

    /** runc spec without noNewPrivileges, with a writable root: nothing asks for hardening. */
    private static Path plainBundle(Mode mode) {
        return bundle(mode, "runc.json", PROBE + "; touch /written && echo writable", c -> {
            ((ObjectNode) c.get("process")).remove("noNewPrivileges");
            ((ObjectNode) c.get("root")).remove("readonly");
        });
    }

    @Test
    void ociProfileRunsTheConfigAsWritten() {
        Cli.Result result = run(Mode.ROOT, plainBundle(Mode.ROOT), "--profile", "oci");
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("0", line(result.stdout(), "NoNewPrivs:"), result.describe());
        assertEquals("0", line(result.stdout(), "Seccomp:"), result.describe());
        assertTrue(result.stdout().contains(hostUserNamespace()), result.describe());
        assertTrue(result.stdout().contains("writable"), "absent root.readonly is writable: " + result.describe());
    }

    @Test
    void hardenedProfileLiftsTheSameConfig() {
        for (Map<String, String> environment : List.of(Map.<String, String>of(), Map.of("BULWARK_PROFILE", "hardened"))) {
            String[] flags = environment.isEmpty() ? new String[] {"--profile", "hardened"} : new String[0];
            Cli.Result result = run(Mode.ROOT, plainBundle(Mode.ROOT), environment, flags);
            assertEquals(1, result.exitCode(), "touch fails on the read-only root: " + result.describe());
            assertEquals("1", line(result.stdout(), "NoNewPrivs:"), result.describe());
            assertEquals("2", line(result.stdout(), "Seccomp:"), result.describe());
            assertNotEquals(hostUserNamespace(), "user:" + line(result.stdout(), "user:"), result.describe());
            assertTrue(result.stdout().lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals("0 1000000000 65536")),
                    "container root is an unprivileged host uid: " + result.describe());
            assertTrue(result.errors().contains("Read-only file system"), result.describe());
        }
    }

    @Test
    void hardenedProfileRootless() {
        Mode mode = Mode.ROOTLESS;
        mode.assumeAvailable();
        Path plain = bundle(mode, "crun-rootless.json", PROBE, c -> ((ObjectNode) c.get("process")).remove("noNewPrivileges"));
        Cli.Result oci = run(mode, plain);
        assertEquals(0, oci.exitCode(), oci.describe());
        assertEquals("0", line(oci.stdout(), "NoNewPrivs:"), oci.describe());
        assertEquals("0", line(oci.stdout(), "Seccomp:"), oci.describe());
        Cli.Result hardened = run(mode, bundle(mode, "crun-rootless.json", PROBE,
                c -> ((ObjectNode) c.get("process")).remove("noNewPrivileges")), "--profile", "hardened");
        assertEquals(0, hardened.exitCode(), hardened.describe());
        assertEquals("1", line(hardened.stdout(), "NoNewPrivs:"), hardened.describe());
        assertEquals("2", line(hardened.stdout(), "Seccomp:"), hardened.describe());
    }

    @Test
    void unknownProfileIsOneLine() {
        Cli.Result result = run(Mode.ROOT, plainBundle(Mode.ROOT), Map.of("BULWARK_PROFILE", "strict"));
        assertEquals(125, result.exitCode(), result.describe());
        assertEquals("bulwark: BULWARK_PROFILE: unknown profile \"strict\" (expected hardened or oci)", result.errors().strip());
    }

    // --- fields real configs use ---

    @Test
    void ambientCapabilitiesNotInheritableAreSkipped() {
        // runc spec: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE ambient, not inheritable
        Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "grep -E 'CapAmb|CapEff' /proc/self/status", c -> { }));
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("0000000000000000", line(result.stdout(), "CapAmb:"), result.describe());
        assertEquals("0000000020000420", line(result.stdout(), "CapEff:"), result.describe());
    }

    @Test
    void seccompNamesUnknownHereAreSkipped() {
        Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "grep Seccomp: /proc/self/status", c -> {
            ObjectNode seccomp = ((ObjectNode) c.get("linux")).putObject("seccomp");
            seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
            seccomp.putArray("architectures").add("SCMP_ARCH_X86_64");
            ObjectNode rule = seccomp.putArray("syscalls").addObject();
            rule.putArray("names").add("recv").add("send").add("pciconfig_iobase").add("swapcontext").add("syscall")
                    .add("timerfd").add("sethostname");
            rule.put("action", "SCMP_ACT_ERRNO");
        }));
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("2", line(result.stdout(), "Seccomp:"), result.describe());
    }

    @Test
    void maskedDirectoriesAndFilesInTheImage() {
        Path bundle = bundle(Mode.ROOT, "runc.json",
                "ls -A /secret-dir | wc -l; cat /secret-file | wc -c; touch /secret-dir/x 2>&1; grep -c secret /proc/self/mountinfo",
                c -> ((ArrayNode) c.get("linux").get("maskedPaths")).add("/secret-dir").add("/secret-file").add("/absent"));
        try {
            Files.createDirectories(bundle.resolve("rootfs/secret-dir"));
            Files.writeString(bundle.resolve("rootfs/secret-dir/key"), "k");
            Files.writeString(bundle.resolve("rootfs/secret-file"), "secret");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Cli.Result result = run(Mode.ROOT, bundle);
        assertEquals(0, result.exitCode(), result.describe());
        List<String> lines = result.stdout().lines().map(String::strip).toList();
        assertEquals("0", lines.get(0), "the directory is an empty tmpfs: " + result.describe());
        assertEquals("0", lines.get(1), "the file reads as /dev/null: " + result.describe());
        assertTrue(lines.get(2).contains("Read-only file system"), result.describe());
        assertEquals("2", lines.get(3), result.describe());
    }

    @Test
    void personalitySchedulerAndIoPriorityAreApplied() {
        Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json",
                "busybox uname -m; grep policy /proc/self/sched | tr -d ' '; busybox cut -d' ' -f19 /proc/self/stat", c -> {
                    ((ObjectNode) c.get("linux")).putObject("personality").put("domain", "LINUX32");
                    ObjectNode process = (ObjectNode) c.get("process");
                    process.putObject("scheduler").put("policy", "SCHED_BATCH").put("nice", 7);
                    process.putObject("ioPriority").put("class", "IOPRIO_CLASS_BE").put("priority", 6);
                }));
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals(List.of("i686", "policy:3", "7"), result.stdout().lines().map(String::strip).toList(), result.describe());
    }

    @Test
    void fieldsNotHonouredAreRefusedInOneLine() {
        record Case(Consumer<ObjectNode> edit, String error) {
        }
        List<Case> cases = List.of(
                new Case(c -> {
                    ObjectNode linux = (ObjectNode) c.get("linux");
                    ((ArrayNode) linux.get("namespaces")).addObject().put("type", "time");
                    linux.putObject("timeOffsets").putObject("monotonic").put("secs", 5).put("nanosecs", 0);
                }, "bulwark: linux.timeOffsets: not supported (the offsets must be written before the time namespace's"
                        + " first process, which Bulwark's launch does not do yet); remove it"));
        for (Case refused : cases) {
            Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "true", refused.edit()));
            assertEquals(125, result.exitCode(), result.describe());
            assertEquals(refused.error(), result.errors().strip());
        }
    }

    @Test
    void aNetworkNamespaceWithAPathIsJoined() throws Exception {
        Mode.ROOT.assumeAvailable();
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")), "no ip(8)");
        String name = "bulwark-it-" + ProcessHandle.current().pid();
        assertEquals(0, new ProcessBuilder("ip", "netns", "add", name).inheritIO().start().waitFor());
        try {
            Path netns = Path.of("/var/run/netns", name);
            long inode = (Long) Files.getAttribute(netns, "unix:ino");
            Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "readlink /proc/self/ns/net", c -> {
                for (var namespace : c.get("linux").get("namespaces")) {
                    if (namespace.get("type").asText().equals("network")) {
                        ((ObjectNode) namespace).put("path", netns.toString());
                    }
                }
            }));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("net:[" + inode + "]", result.stdout().strip(), result.describe());
            // another type's file is refused (the launcher asks the file its type), named in one line
            Cli.Result wrongType = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "true", c -> {
                for (var namespace : c.get("linux").get("namespaces")) {
                    if (namespace.get("type").asText().equals("ipc")) {
                        ((ObjectNode) namespace).put("path", netns.toString());
                    }
                }
            }));
            assertEquals(125, wrongType.exitCode(), wrongType.describe());
            assertEquals("bulwark: linux.namespaces[2].path: " + netns + " is a network namespace, not an ipc namespace",
                    wrongType.errors().strip(), wrongType.describe());
        } finally {
            new ProcessBuilder("ip", "netns", "delete", name).inheritIO().start().waitFor();
        }
    }
}
