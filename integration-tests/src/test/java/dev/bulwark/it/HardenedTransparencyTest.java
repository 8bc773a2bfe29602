package dev.bulwark.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hardened profile stays transparent on real containers: {@code runc spec}'s config, lifted, still
 * runs with a root-owned rootfs and bind source below 0700 directories (reached through idmapped mounts
 * the launcher prepares; files container root writes are host root's on disk) and with a listed device
 * (made by the launcher on a private tmpfs, since mknod is denied in a user namespace). Root only:
 * idmapping needs CAP_SYS_ADMIN over the filesystem, and a rootless launcher cannot make device nodes;
 * rootless hardened runs are covered by RealConfigsTest. Also the global {@code --profile} flag's
 * precedence, and that a failed launch leaves no mount and no state behind.
 */
class HardenedTransparencyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNPRIVILEGED_RANGE = "0 1000000000 65536";
    private static int counter;

    private static String newId() {
        return "it-hard-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /**
     * runc spec's config (root, no user namespace) in a busybox bundle whose directory is 0700 and
     * root-owned: the rootfs below it is out of reach of an unprivileged host uid.
     */
    private static Path privateBundle(String script, Consumer<ObjectNode> edit) {
        Mode.ROOT.assumeAvailable();
        Path bundle = Bundles.create(Mode.ROOT, spec -> spec);
        try (InputStream in = HardenedTransparencyTest.class.getResourceAsStream("/realconfigs/runc.json")) {
            ObjectNode config = (ObjectNode) JSON.readTree(in);
            ObjectNode process = (ObjectNode) config.get("process");
            process.put("terminal", false);
            process.putArray("args").add("/bin/sh").add("-c").add(script);
            edit.accept(config);
            Files.writeString(bundle.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            Files.setPosixFilePermissions(bundle, PosixFilePermissions.fromString("rwx------"));
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Cli.Result run(Path bundle, String id, List<String> globalFlags, Map<String, String> environment,
                                  String... flags) {
        List<String> args = new ArrayList<>(globalFlags);
        List<String> verb = Containers.runBundle(Mode.ROOT, bundle, id);
        verb.addAll(1, List.of(flags));
        args.addAll(verb);
        return Cli.start(Mode.ROOT, args, environment).await(60);
    }

    private static boolean hasLine(String stdout, String expected) {
        return stdout.lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals(expected));
    }

    private static int hostOwner(Path file) throws IOException {
        return (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /** Nothing of the launch stays: no mount of the bundle on the host, no state directory, no process in it. */
    private static void assertNothingLeft(Path bundle, String id) throws IOException {
        String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        assertFalse(mountinfo.contains(bundle.toString()), "a mount of the bundle stayed on the host:\n" + mountinfo);
        assertFalse(Files.exists(Cli.stateRoot(Mode.ROOT).resolve(id)), "the state directory of " + id + " stayed");
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            List<String> inBundle = processes.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> {
                        try {
                            return Files.readSymbolicLink(p.resolve("root")).toString().startsWith(bundle.toString())
                                    || Files.readSymbolicLink(p.resolve("cwd")).toString().startsWith(bundle.toString());
                        } catch (IOException e) {
                            return false; // gone, or not ours to read
                        }
                    }).map(p -> p.getFileName().toString()).toList();
            assertEquals(List.of(), inBundle, "processes still inside the bundle");
        }
    }

    @Test
    void rootOwnedRootfsAndBindSourceBelow0700DirectoriesRunHardened() throws IOException {
        Path data = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-private");
        try {
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
            Path source = Files.createDirectory(data.resolve("data"));
            Path bundle = privateBundle("cat /proc/self/uid_map; touch /tmp/by-root && echo rootfs-written;"
                    + " echo hi > /mnt/data/by-root && echo bind-written; ls -ln /bin/busybox", c -> {
                        ((ObjectNode) c.get("root")).put("readonly", false);
                        ObjectNode mount = ((ArrayNode) c.get("mounts")).addObject();
                        mount.put("destination", "/mnt/data").put("type", "bind").put("source", source.toString());
                        mount.putArray("options").add("rbind").add("rw");
                    });
            String id = newId();
            try {
                Cli.Result result = run(bundle, id, List.of(), Map.of(), "--profile", "hardened");
                assertEquals(0, result.exitCode(), result.describe());
                assertTrue(hasLine(result.stdout(), UNPRIVILEGED_RANGE), "container root is an unprivileged host uid: "
                        + result.describe());
                assertTrue(result.stdout().contains("rootfs-written"), "the idmapped rootfs is writable by container root: "
                        + result.describe());
                assertTrue(result.stdout().contains("bind-written"), result.describe());
                assertTrue(result.stdout().lines().anyMatch(l -> l.matches("-rwxr-xr-x\\s+1 0\\s+0\\s.*/bin/busybox")),
                        "root-owned files appear as container root's, as under runc: " + result.describe());
                assertEquals(0, hostOwner(bundle.resolve("rootfs/tmp/by-root")), "written by container root: host root on disk");
                assertEquals(0, hostOwner(source.resolve("by-root")), "written by container root: host root on disk");
                assertNothingLeft(bundle, id);
            } finally {
                Bundles.delete(bundle);
            }
        } finally {
            Cli.deleteTree(data);
        }
    }

    @Test
    void withoutIdmappingTheSameRootfsWasUnreachable() throws IOException {
        // The oci profile with a user namespace and the config's own range: Bulwark idmaps only what container root
        // cannot reach (here: the rootfs under the 0700 bundle), so it runs too, ids as on disk.
        Path bundle = privateBundle("cat /proc/self/uid_map; ls -ln /bin/busybox", c -> {
            ObjectNode linux = (ObjectNode) c.get("linux");
            ((ArrayNode) linux.get("namespaces")).addObject().put("type", "user");
            linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 1000000000).put("size", 65536);
            linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", 1000000000).put("size", 65536);
        });
        String id = newId();
        try {
            Cli.Result result = run(bundle, id, List.of(), Map.of(), "--profile", "oci");
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(hasLine(result.stdout(), UNPRIVILEGED_RANGE), result.describe());
            assertNothingLeft(bundle, id);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void aListedDeviceIsMadeByTheLauncherUnderHardened() throws IOException {
        Path bundle = privateBundle("ls -ln /dev/test-null; echo x > /dev/test-null && echo written; cat /dev/test-null | wc -c",
                c -> {
                    ObjectNode device = ((ObjectNode) c.get("linux")).putArray("devices").addObject();
                    device.put("path", "/dev/test-null").put("type", "c").put("major", 1).put("minor", 3)
                            .put("fileMode", 0666).put("uid", 5).put("gid", 6); // 0666: not the umask's 0644
                });
        assertFalse(Files.exists(Path.of("/dev/test-null")), "the host has no /dev/test-null: the node is made, not bound");
        String id = newId();
        try {
            Cli.Result result = run(bundle, id, List.of(), Map.of(), "--profile", "hardened");
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(result.stdout().lines().anyMatch(l -> l.matches("crw-rw-rw-\\s+1 5\\s+6\\s+1,\\s+3 .*/dev/test-null")),
                    "the config's type, numbers, mode and owner: " + result.describe());
            assertTrue(result.stdout().contains("written"), result.describe());
            assertTrue(hasLine(result.stdout(), "0"), "reads as /dev/null: " + result.describe());
            assertNothingLeft(bundle, id);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void aDeviceOwnerOutsideTheRangeIsOneLineAndLeavesNothing() throws IOException {
        Path bundle = privateBundle("true", c -> {
            ObjectNode device = ((ObjectNode) c.get("linux")).putArray("devices").addObject();
            device.put("path", "/dev/test-null").put("type", "c").put("major", 1).put("minor", 3).put("uid", 70000);
        });
        String id = newId();
        try {
            Cli.Result result = run(bundle, id, List.of(), Map.of(), "--profile", "hardened");
            assertEquals(125, result.exitCode(), result.describe());
            assertEquals("bulwark: linux.devices[0].uid: container id 70000 is not mapped by the user namespace",
                    result.errors().strip());
            assertNothingLeft(bundle, id);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void aFailingWorkloadAfterIdmappingLeavesNothing() throws IOException {
        Path bundle = privateBundle("true", c -> ((ArrayNode) c.get("process").get("args")).removeAll().add("/absent"));
        String id = newId();
        try {
            Cli.Result result = run(bundle, id, List.of(), Map.of(), "--profile", "hardened");
            assertEquals(127, result.exitCode(), result.describe());
            assertNothingLeft(bundle, id);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void globalProfileFlagPrecedence() {
        String probe = "cat /proc/self/uid_map";
        Path bundle = privateBundle(probe, c -> { });
        try {
            // global flag over the environment: hardened
            Cli.Result global = run(bundle, newId(), List.of("--profile", "hardened"), Map.of("BULWARK_PROFILE", "oci"));
            assertEquals(0, global.exitCode(), global.describe());
            assertTrue(hasLine(global.stdout(), UNPRIVILEGED_RANGE), global.describe());
            // the verb's flag over the global one: oci, no user namespace (the host's full map)
            Cli.Result verb = run(bundle, newId(), List.of("--profile", "hardened"), Map.of(), "--profile", "oci");
            assertEquals(0, verb.exitCode(), verb.describe());
            assertTrue(hasLine(verb.stdout(), "0 0 4294967295"), verb.describe());
            // the global flag over the environment the other way round: oci
            Cli.Result globalOci = run(bundle, newId(), List.of("--profile", "oci"), Map.of("BULWARK_PROFILE", "hardened"));
            assertEquals(0, globalOci.exitCode(), globalOci.describe());
            assertTrue(hasLine(globalOci.stdout(), "0 0 4294967295"), globalOci.describe());
            // no flag: the environment
            Cli.Result environment = run(bundle, newId(), List.of(), Map.of("BULWARK_PROFILE", "hardened"));
            assertEquals(0, environment.exitCode(), environment.describe());
            assertNotEquals(-1, environment.stdout().indexOf("1000000000"), environment.describe());
            Cli.Result bad = run(bundle, newId(), List.of("--profile", "strict"), Map.of());
            assertEquals(125, bad.exitCode(), bad.describe());
            assertTrue(bad.errors().strip().startsWith("bulwark: --profile: unknown profile \"strict\" (expected hardened or oci)"),
                    bad.describe());
            assertEquals(1, bad.errors().strip().lines().count(), bad.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }
}
