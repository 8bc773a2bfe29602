package dev.bulwark.launcher.cli;

import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** crun's global --cgroup-manager, as Podman passes it for --cgroups=disabled; PodmanTest runs it for real. */
class CgroupManagerTest {
    private static Spec withResources(String resources) throws Exception {
        return SpecParser.parse("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [\"true\"], "
                + "\"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, \"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
                + "\"resources\": " + resources + "}}");
    }

    @Test
    void disabledTakesPodmansConfigAndRefusesALimitNamingIt() throws Exception {
        // what Podman writes for --cgroups=disabled: the device rule only (no cgroup v2 file), and pids 0 = not set
        assertDoesNotThrow(() -> CgroupManager.DISABLED.apply(withResources(
                "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}], \"pids\": {\"limit\": 0}}")));
        LaunchException e = assertThrows(LaunchException.class,
                () -> CgroupManager.DISABLED.apply(withResources("{\"memory\": {\"limit\": 67108864}}")));
        assertEquals("--cgroup-manager disabled: linux.resources.memory.limit needs a cgroup, which this manager does not make; "
                + "drop the limit (podman: --pids-limit=-1 and no --memory/--cpus) or let Bulwark place a cgroup", e.getMessage());
        assertDoesNotThrow(() -> CgroupManager.CGROUPFS.apply(withResources("{\"memory\": {\"limit\": 67108864}}")));
    }

    @Test
    void disabledDropsTheCgroupPathSoNoCgroupIsPlaced() throws Exception {
        Spec named = withResources("{}");
        named = named.withLinux(named.linux().withCgroupsPath("/machine/ctr"));
        assertEquals(null, CgroupManager.DISABLED.apply(named).linux().cgroupsPath());
        assertEquals("/machine/ctr", CgroupManager.CGROUPFS.apply(named).linux().cgroupsPath());
    }

    @Test
    void anUnknownManagerIsOneLine() {
        assertEquals(CgroupManager.SYSTEMD, CgroupManager.parse("systemd"));
        assertEquals("--cgroup-manager: expected cgroupfs, systemd or disabled, got \"v1\"",
                assertThrows(LaunchException.class, () -> CgroupManager.parse("v1")).getMessage());
    }
}
