package dev.bulwark.launcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CgroupHostTest {
    /** This development machine: v1 controllers plus an empty v2 hierarchy at /sys/fs/cgroup/unified. */
    static final String HYBRID_MOUNTINFO = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String HYBRID_PROC_CGROUP = """
            9:name=systemd:/
            4:memory:/process_api/2532c7fc
            1:cpu:/
            0::/
            """;
    /** A systemd host in unified mode, with optional fields before the separator. */
    static final String PURE_MOUNTINFO = """
            25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            33 24 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
            """;

    @Test
    void hybridHostHasTheV2RootUnderUnifiedAndIsNotPure() {
        CgroupHost host = CgroupHost.parse(HYBRID_MOUNTINFO, HYBRID_PROC_CGROUP, 42).orElseThrow();
        assertEquals(Path.of("/sys/fs/cgroup/unified"), host.v2Root());
        assertEquals("/", host.ownCgroup());
        assertFalse(host.pureV2());
        assertEquals(List.of(Path.of("/sys/fs/cgroup/cpu"), Path.of("/sys/fs/cgroup/memory"),
                Path.of("/sys/fs/cgroup/pids")), host.v1Mounts());
    }

    @Test
    void pureHostHasTheV2RootAtSysFsCgroup() {
        CgroupHost host = CgroupHost.parse(PURE_MOUNTINFO,
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope\n", 7).orElseThrow();
        assertEquals(Path.of("/sys/fs/cgroup"), host.v2Root());
        assertTrue(host.pureV2());
        assertEquals("/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope", host.ownCgroup());
        assertEquals(Path.of("/sys/fs/cgroup/user.slice/user-1000.slice"), host.dirOf("/user.slice/user-1000.slice"));
        assertEquals(Path.of("/sys/fs/cgroup"), host.dirOf("/"));
    }

    @Test
    void mountPointEscapesAreDecoded() {
        String mountinfo = "40 30 0:37 / /run/my\\040cgroups rw - cgroup2 none rw\n";
        CgroupHost host = CgroupHost.parse(mountinfo, "0::/a\n", 1).orElseThrow();
        assertEquals(Path.of("/run/my cgroups"), host.v2Root());
    }

    @Test
    void theFullHierarchyIsPreferredOverABindMountedSubtreeAndItsRootIsStripped() {
        String mountinfo = """
                50 22 0:28 /ci/job1 /mnt/job rw - cgroup2 cgroup2 rw
                """;
        CgroupHost host = CgroupHost.parse(mountinfo, "0::/ci/job1/runner\n", 1).orElseThrow();
        assertEquals(Path.of("/mnt/job"), host.v2Root());
        assertEquals("/runner", host.ownCgroup());

        String both = mountinfo + "33 24 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assertEquals(Path.of("/sys/fs/cgroup"), CgroupHost.parse(both, "0::/ci/job1/runner\n", 1).orElseThrow().v2Root());
    }

    @Test
    void noCgroup2MountOrNoUnifiedLineMeansNoHierarchy() {
        assertEquals(Optional.empty(), CgroupHost.parse("22 1 254:0 / / rw - ext4 /dev/vda rw\n", "0::/\n", 1));
        assertEquals(Optional.empty(), CgroupHost.parse(PURE_MOUNTINFO, "4:memory:/x\n", 1));
    }

    @Test
    void aDeletedCgroupReadsWithoutTheSuffix() {
        assertEquals(Optional.of("/gone"), CgroupHost.unifiedCgroup("0::/gone (deleted)\n"));
    }
}
