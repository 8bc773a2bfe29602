package dev.bulwark.it;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Config fields the OCI conformance suite exercises, done as runc and crun do on real containers:
 * {@code linux.devices} made with mknod when there is no user namespace (and bound from the host in
 * one), and LSM labels for a module the host does not run: under the oci profile an AppArmor profile and
 * a mount label are not applied and a warning names the field (crun runs such configs), a process
 * SELinux label is refused (runc and crun fail too), and the hardened profile refuses them all; a
 * capability the host withholds even from root is refused in one line without a user namespace (runc
 * and crun fail on capset too).
 */
class ConformanceFieldsTest {
    private static int counter;

    private static String newId() {
        return "it-conf-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** A busybox bundle whose config.json is the realconfigs {@code resource}, edited; the command runs {@code script}. */
    private static Path bundle(Mode mode, String resource, String script, Consumer<ObjectNode> edit) {
        return RealConfigsTest.bundle(mode, resource, script, edit);
    }

    private static Cli.Result run(Mode mode, Path bundle, String... flags) {
        try {
            List<String> args = Containers.runBundle(mode, bundle, newId());
            args.addAll(1, List.of(flags));
            return Cli.start(mode, args).await(60);
        } finally {
            Bundles.delete(bundle);
        }
    }

    private static void addDevice(ObjectNode config, String path, String type, int major, int minor, int mode, Integer uid,
                                  Integer gid) {
        ObjectNode linux = (ObjectNode) config.get("linux");
        ArrayNode devices = linux.has("devices") ? (ArrayNode) linux.get("devices") : linux.putArray("devices");
        ObjectNode device = devices.addObject().put("path", path).put("type", type).put("major", major).put("minor", minor)
                .put("fileMode", mode);
        if (uid != null) {
            device.put("uid", uid).put("gid", gid);
        }
    }

    private static List<String> warnings(Cli.Result result) {
        return result.stderr().lines().filter(l -> l.startsWith("bulwark: warning:")).toList();
    }

    // --- linux.devices ---

    @Test
    void devicesAreMadeAsTheConfigDescribesWithoutAUserNamespace() {
        // The suite's linux_devices config: nodes the host does not have (10:666, 8:666) and a fifo.
        Path bundle = bundle(Mode.ROOT, "runc.json", "stat -c '%n %F %t:%T %a %u:%g' /dev/test1 /dev/test2 /dev/sub/test3",
                c -> {
                    addDevice(c, "/dev/test1", "c", 10, 666, 0660, 0, 0);
                    addDevice(c, "/dev/test2", "b", 8, 666, 0640, 7, 8);
                    addDevice(c, "/dev/sub/test3", "p", 0, 0, 0604, 5, 6);
                });
        Cli.Result result = run(Mode.ROOT, bundle);
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals(List.of("/dev/test1 character special file a:29a 660 0:0", "/dev/test2 block special file 8:29a 640 7:8",
                "/dev/sub/test3 fifo 0:0 604 5:6"), result.stdout().lines().toList(), result.describe());
    }

    @Test
    void anEntryThatAlreadyExistsIsLeftAloneOwnerIncluded() {
        // The second entry finds the first one's node: runc leaves it as it is, and so must the chown.
        Path bundle = bundle(Mode.ROOT, "runc.json", "stat -c '%n %F %t:%T %a %u:%g' /dev/test1; ls -a /dev | grep -c bulwark",
                c -> {
                    addDevice(c, "/dev/test1", "c", 10, 666, 0660, 0, 0);
                    addDevice(c, "/dev/test1", "b", 8, 666, 0604, 7, 8);
                });
        Cli.Result result = run(Mode.ROOT, bundle);
        assertEquals(List.of("/dev/test1 character special file a:29a 660 0:0", "0"), result.stdout().lines().toList(),
                "no temporary node left either: " + result.describe());
    }

    @Test
    void inAUserNamespaceAMissingHostDeviceIsStillOneLine() {
        Mode mode = Mode.ROOTLESS;
        Path bundle = bundle(mode, "crun-rootless.json", "true", c -> addDevice(c, "/dev/test1", "c", 10, 666, 0660, null, null));
        Cli.Result result = run(mode, bundle);
        assertEquals(125, result.exitCode(), result.describe());
        assertEquals("bulwark: linux.devices[0].path: /dev/test1 does not exist on the host; in a user namespace devices can only"
                + " be bound from the host", result.errors().strip());
    }

    @Test
    void inAUserNamespaceTheHostDeviceIsBound() {
        Mode mode = Mode.ROOTLESS;
        Path bundle = bundle(mode, "crun-rootless.json", "stat -c '%n %F %t:%T' /dev/tty0",
                c -> addDevice(c, "/dev/tty0", "c", 4, 0, 0620, null, null));
        Cli.Result result = run(mode, bundle);
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("/dev/tty0 character special file 4:0", result.stdout().strip(), result.describe());
    }

    // --- LSM labels for a module this host does not run ---

    private static void assumeNoLsm() {
        assumeFalse(Files.exists(Path.of("/sys/fs/selinux/enforce")), "SELinux is active here: labels would be applied");
        try {
            assumeFalse(Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).trim().equals("Y"),
                    "AppArmor is active here: the profile would be applied");
        } catch (IOException e) {
            // no AppArmor module: not active
        }
    }

    private static Consumer<ObjectNode> labels(boolean selinuxProcessLabel) {
        return c -> {
            ((ObjectNode) c.get("process")).put("apparmorProfile", "acme_secure_profile");
            ((ObjectNode) c.get("linux")).put("mountLabel", "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
            if (selinuxProcessLabel) {
                ((ObjectNode) c.get("process")).put("selinuxLabel", "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
            }
        };
    }

    @Test
    void ociProfileRunsWithoutAnInactiveAppArmorProfileOrMountLabelAndSaysSo() {
        assumeNoLsm();
        for (Mode mode : Mode.values()) {
            mode.assumeAvailable();
            Cli.Result result = run(mode, bundle(mode, mode == Mode.ROOT ? "runc.json" : "crun-rootless.json", "echo ran",
                    labels(false)));
            assertEquals(0, result.exitCode(), mode + ": " + result.describe());
            assertEquals("ran", result.stdout().strip(), result.describe());
            List<String> warnings = warnings(result);
            assertTrue(warnings.stream().anyMatch(l -> l.contains("process.apparmorProfile: \"acme_secure_profile\"")
                    && l.contains("AppArmor is not active") && l.contains("not applied")), result.describe());
            assertTrue(warnings.stream().anyMatch(l -> l.contains("linux.mountLabel: \"system_u:object_r:svirt_sandbox_file_t")
                    && l.contains("SELinux is not active") && l.contains("not applied")), result.describe());
        }
    }

    @Test
    void aProcessSelinuxLabelIsStillRefusedAsRuncAndCrunDo() {
        assumeNoLsm();
        Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "echo ran", labels(true)));
        assertEquals(125, result.exitCode(), result.describe());
        assertEquals(1, result.errors().lines().count(), result.describe());
        assertTrue(result.errors().startsWith("bulwark: process.selinuxLabel: \"system_u:system_r:svirt_lxc_net_t:s0:c124,c675\""
                + " requested, but SELinux is not active on this host"), result.describe());
    }

    @Test
    void hardenedProfileRefusesAnInactiveLsmUnlessAllowed() {
        assumeNoLsm();
        Cli.Result refused = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "echo ran", labels(false)), "--profile", "hardened");
        assertEquals(125, refused.exitCode(), refused.describe());
        assertEquals(1, refused.errors().lines().count(), refused.describe());
        assertTrue(refused.errors().startsWith("bulwark: process.apparmorProfile: \"acme_secure_profile\" requested, but AppArmor"
                + " is not active on this host"), refused.describe());
        assertTrue(refused.errors().contains("--allow-missing-lsm"), refused.describe());
        Cli.Result allowed = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "echo ran", labels(true)), "--profile", "hardened",
                "--allow-missing-lsm");
        assertEquals(0, allowed.exitCode(), allowed.describe());
        assertEquals(3, warnings(allowed).stream().filter(l -> l.contains("(--allow-missing-lsm)")).count(), allowed.describe());
    }

    // --- capabilities the host withholds even from root ---

    private static boolean hostBoundingSetHas(int cap) throws IOException {
        String line = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapBnd:"))
                .findFirst().orElseThrow();
        return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << cap)) != 0;
    }

    @Test
    void aCapabilityTheHostWithholdsFromRootIsOneLineWithoutAUserNamespace() throws IOException {
        Mode.ROOT.assumeAvailable();
        int sysResource = 24;
        Consumer<ObjectNode> asking = c -> {
            ObjectNode caps = (ObjectNode) c.get("process").get("capabilities");
            for (String set : List.of("bounding", "effective", "permitted")) {
                ((ArrayNode) caps.get(set)).add("CAP_SYS_RESOURCE");
            }
        };
        Cli.Result result = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "grep CapEff /proc/self/status", asking));
        if (hostBoundingSetHas(sysResource)) {
            assertEquals(0, result.exitCode(), "this host grants CAP_SYS_RESOURCE: " + result.describe());
            return;
        }
        // runc: "unable to apply caps: operation not permitted"; crun: "capset: Operation not permitted"
        assertEquals(125, result.exitCode(), result.describe());
        assertEquals("bulwark: process.capabilities.effective: CAP_SYS_RESOURCE; process.capabilities.permitted: CAP_SYS_RESOURCE:"
                + " not held by this launcher (the host's bounding set withholds them even from root), and without a user namespace"
                + " the container cannot get them; remove them from the config (runc and crun fail here too)", result.errors().strip());
        // listed in the bounding set only, it is fine: the bounding set is only ever cut
        Cli.Result boundingOnly = run(Mode.ROOT, bundle(Mode.ROOT, "runc.json", "echo ran",
                c -> ((ArrayNode) c.get("process").get("capabilities").get("bounding")).add("CAP_SYS_RESOURCE")));
        assertEquals(0, boundingOnly.exitCode(), boundingOnly.describe());
    }
}
