package dev.bulwark.launcher.plan;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class OwnCgroupMountTest {
    private static Spec withCgroupMount(List<LinuxNamespace> namespaces) {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        mounts.add(new Mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
        return spec.withMounts(mounts).withLinux(spec.linux().withNamespaces(namespaces));
    }

    @Test
    void withoutACgroupNamespaceTheOwnCgroupIsBoundReadOnly() {
        Spec spec = withCgroupMount(List.of(new LinuxNamespace("pid"), new LinuxNamespace("mount")));
        assertTrue(OwnCgroupMount.needed(spec));
        Mount bound = OwnCgroupMount.bind(spec, Path.of("/sys/fs/cgroup/unified/bulwark/c1")).mounts().stream()
                .filter(m -> m.destination().equals("/sys/fs/cgroup")).findFirst().orElseThrow();
        assertEquals(new Mount("/sys/fs/cgroup", "bind", "/sys/fs/cgroup/unified/bulwark/c1",
                List.of("rbind", "ro", "nosuid", "noexec", "nodev")), bound);
    }

    @Test
    void withACgroupNamespaceTheMountStays() {
        assertFalse(OwnCgroupMount.needed(withCgroupMount(List.of(new LinuxNamespace("mount"), new LinuxNamespace("cgroup")))));
        assertTrue(OwnCgroupMount.needed(withCgroupMount(List.of(new LinuxNamespace("cgroup", "/proc/1/ns/cgroup")))),
                "a joined cgroup namespace is not the container's own");
    }
}
