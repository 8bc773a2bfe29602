package dev.bulwark.config.defaults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.SpecParser;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import java.util.List;
import org.junit.jupiter.api.Test;

class HardenedDefaultsTest {

    private final Spec root = HardenedDefaults.spec(DefaultsOptions.root());
    private final Spec rootless = HardenedDefaults.spec(DefaultsOptions.rootless(1000, 1001));

    @Test
    void processIsLockedDown() {
        var process = root.process();
        assertEquals(List.of("sh"), process.args());
        assertEquals(Boolean.FALSE, process.terminal());
        assertEquals(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"),
                process.env());
        assertEquals("/", process.cwd());
        assertEquals(0L, process.user().uid());
        assertEquals(0L, process.user().gid());
        assertEquals(LinuxCapabilities.none(), process.capabilities());
        assertEquals(Boolean.TRUE, process.noNewPrivileges());
        assertEquals("RLIMIT_NOFILE", process.rlimits().get(0).type());
        assertEquals(1024L, process.rlimits().get(0).soft());
        assertEquals(1024L, process.rlimits().get(0).hard());
    }

    @Test
    void theUserNamespacesOwnLimitsAreWrittenOutAsTheAnnotation() {
        for (Spec spec : List.of(root, rootless)) {
            String value = spec.annotations().get(HardenedDefaults.USERNS_LIMITS_ANNOTATION);
            assertTrue(value.startsWith("max_inotify_instances=32,max_inotify_watches=8192,"), value);
            assertEquals(HardenedDefaults.USERNS_LIMITS.size(), value.split(",").length);
        }
    }

    @Test
    void everyNamespaceIncludingUserAlways() {
        for (Spec spec : List.of(root, rootless)) {
            assertEquals(List.of("user", "pid", "mount", "uts", "ipc", "network", "cgroup"),
                    spec.linux().namespaces().stream().map(ns -> ns.type()).toList());
            assertTrue(spec.linux().namespaces().stream().allMatch(ns -> ns.path() == null));
        }
    }

    @Test
    void rootMapsContainerRootToAnUnprivilegedRange() {
        assertEquals(List.of(new LinuxIdMapping(0, 1_000_000_000L, 65_536)), root.linux().uidMappings());
        assertEquals(List.of(new LinuxIdMapping(0, 1_000_000_000L, 65_536)), root.linux().gidMappings());
        Spec custom = HardenedDefaults.spec(DefaultsOptions.root(200_000, 300_000, 10_000));
        assertEquals(List.of(new LinuxIdMapping(0, 300_000, 10_000)), custom.linux().gidMappings());
    }

    @Test
    void rootlessMapsContainerRootToTheCaller() {
        assertEquals(List.of(new LinuxIdMapping(0, 1000, 1)), rootless.linux().uidMappings());
        assertEquals(List.of(new LinuxIdMapping(0, 1001, 1)), rootless.linux().gidMappings());
    }

    @Test
    void mountsFollowRuncWithRootlessDifferences() {
        assertEquals(List.of("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"),
                root.mounts().stream().map(Mount::destination).toList());
        assertTrue(mount(root, "/dev/pts").options().contains("gid=5"));
        assertFalse(mount(rootless, "/dev/pts").options().contains("gid=5"));
        assertEquals(new Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")), mount(root, "/sys"));
        assertEquals(new Mount("/sys", "none", "/sys", List.of("rbind", "nosuid", "noexec", "nodev", "ro")),
                mount(rootless, "/sys"));
        assertEquals(List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"), mount(root, "/dev/shm").options());
        assertTrue(mount(root, "/sys/fs/cgroup").options().contains("ro"));
    }

    @Test
    void resourcesAndPaths() {
        assertEquals(1024L, root.linux().resources().pids().limit());
        assertEquals(512L * 1024 * 1024, root.linux().resources().memory().limit());
        assertFalse(root.linux().resources().devices().get(0).allow());
        assertTrue(rootless.linux().resources().devices().isEmpty());
        assertTrue(root.linux().maskedPaths().containsAll(List.of("/proc/kcore", "/proc/keys", "/sys/firmware")));
        assertEquals(List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
                root.linux().readonlyPaths());
        assertNull(root.linux().seccomp(), "the launcher supplies its built-in profile");
        assertEquals(new dev.bulwark.config.model.Root("rootfs", true), root.root());
        assertEquals("bulwark", root.hostname());
    }

    @Test
    void writerOutputIsStableAndExplicitAboutEmptyCapabilities() throws Exception {
        String json = SpecWriter.toJson(rootless);
        assertTrue(json.startsWith("{\n  \"ociVersion\" : \"1.2.0\",\n  \"process\" : {\n    \"terminal\" : false,"), json);
        assertTrue(json.contains("\"bounding\" : [ ]"), json);
        assertTrue(json.contains("\"ambient\" : [ ]"), json);
        assertFalse(json.contains("null"));
        assertEquals(rootless, SpecParser.parse(json));
        assertEquals(json, SpecWriter.toJson(SpecParser.parse(json)));
    }

    @Test
    void rejectsImpossibleOptions() {
        assertThrows(IllegalArgumentException.class, () -> DefaultsOptions.root(-1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> DefaultsOptions.root(0xFFFF_FFFFL, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new DefaultsOptions(true, 1000, 1000, 65536));
    }

    private static Mount mount(Spec spec, String destination) {
        return spec.mounts().stream().filter(m -> m.destination().equals(destination)).findFirst().orElseThrow();
    }
}
