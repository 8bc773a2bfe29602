package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The mapping rules, without a user namespace: what each launch may map, and what it writes to
 * /proc/PID (here a plain directory: the kernel's own checks of these files are covered by the
 * integration tests that launch containers root and rootless).
 */
class IdMapsTest {
    private static final LinuxIdMapping DEFAULT_RANGE = new LinuxIdMapping(0, 1_000_000_000L, 65_536);
    private static final int UID = 1000;
    private static final int GID = 1001;

    @TempDir
    Path proc;

    @Test
    void rootlessGetsItsOwnIdsOnlyAndDeniesSetgroups() {
        IdMaps maps = IdMaps.choose(List.of(), List.of(), true, UID, GID, DEFAULT_RANGE, false);
        assertEquals(List.of(new LinuxIdMapping(0, UID, 1)), maps.uid());
        assertEquals(List.of(new LinuxIdMapping(0, GID, 1)), maps.gid());
        assertFalse(maps.setgroupsAllowed(), "an unprivileged writer of gid_map must deny setgroups first");
        assertTrue(maps.userNamespace());
        assertTrue(maps.mapsUid(0));
        assertFalse(maps.mapsUid(1), "only container root is mapped");
    }

    @Test
    void rootlessAcceptsTheConfigsOwnSingleMapAndRefusesAnyOther() {
        IdMaps same = IdMaps.choose(List.of(new LinuxIdMapping(0, UID, 1)), List.of(new LinuxIdMapping(0, GID, 1)), true,
                UID, GID, DEFAULT_RANGE, false);
        assertEquals(List.of(new LinuxIdMapping(0, UID, 1)), same.uid());
        LaunchException range = assertThrows(LaunchException.class, () -> IdMaps.choose(
                List.of(new LinuxIdMapping(0, 100_000, 65_536)), List.of(), true, UID, GID, DEFAULT_RANGE, false));
        assertEquals("linux.uidMappings: rootless, the only possible mapping is container 0 to your own uid 1000 (size 1)",
                range.getMessage());
        LaunchException otherGid = assertThrows(LaunchException.class, () -> IdMaps.choose(
                List.of(), List.of(new LinuxIdMapping(0, GID + 1, 1)), true, UID, GID, DEFAULT_RANGE, false));
        assertTrue(otherGid.getMessage().startsWith("linux.gidMappings: "), otherGid.getMessage());
    }

    @Test
    void rootWithAUserNamespaceGetsTheDefaultRangeOrTheConfigsMaps() {
        IdMaps defaults = IdMaps.choose(List.of(), List.of(), false, 0, 0, DEFAULT_RANGE, false);
        assertEquals(List.of(DEFAULT_RANGE), defaults.uid());
        assertEquals(List.of(DEFAULT_RANGE), defaults.gid());
        assertTrue(defaults.setgroupsAllowed(), "root keeps setgroups for the workload's additionalGids");
        assertTrue(defaults.mapsUid(65_535));
        assertFalse(defaults.mapsUid(65_536));

        List<LinuxIdMapping> split = List.of(new LinuxIdMapping(0, 200_000, 1), new LinuxIdMapping(1000, 201_000, 10));
        IdMaps configured = IdMaps.choose(split, split, false, 0, 0, DEFAULT_RANGE, false);
        assertEquals(split, configured.uid());
        assertTrue(configured.mapsGid(1009));
        assertFalse(configured.mapsGid(500), "a gap between mappings is unmapped");
    }

    @Test
    void hostRootNeedsAllowHostRoot() {
        List<LinuxIdMapping> ontoRoot = List.of(new LinuxIdMapping(0, 0, 65_536));
        LaunchException refused = assertThrows(LaunchException.class,
                () -> IdMaps.choose(ontoRoot, List.of(), false, 0, 0, DEFAULT_RANGE, false));
        assertEquals("linux.uidMappings[0]: maps container id 0 to host root; pass --allow-host-root to confirm",
                refused.getMessage());
        assertEquals(ontoRoot, IdMaps.choose(ontoRoot, ontoRoot, false, 0, 0, DEFAULT_RANGE, true).uid());
    }

    @Test
    void mapsWithoutContainerRootAreInvalid() {
        List<LinuxIdMapping> noRoot = List.of(new LinuxIdMapping(1, 200_000, 100));
        LaunchException uid = assertThrows(LaunchException.class,
                () -> IdMaps.choose(noRoot, List.of(), false, 0, 0, DEFAULT_RANGE, false));
        assertEquals("linux.uidMappings: must map container id 0 (Bulwark prepares the container as its root)", uid.getMessage());
        LaunchException gid = assertThrows(LaunchException.class,
                () -> IdMaps.choose(List.of(), noRoot, false, 0, 0, DEFAULT_RANGE, false));
        assertTrue(gid.getMessage().startsWith("linux.gidMappings: must map container id 0"), gid.getMessage());
    }

    @Test
    void withoutAUserNamespaceEveryIdIsTheHostsAndNothingIsWritten() throws IOException {
        IdMaps host = IdMaps.hostIds();
        assertFalse(host.userNamespace());
        assertTrue(host.mapsUid(12345) && host.mapsGid(12345));
        host.writeTo(proc);
        try (var files = Files.list(proc)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void rootlessWritesSetgroupsDenyAndBothMaps() throws IOException {
        IdMaps.choose(List.of(), List.of(), true, UID, GID, DEFAULT_RANGE, false).writeTo(proc);
        assertEquals("deny", Files.readString(proc.resolve("setgroups")));
        assertEquals("0 1000 1\n", Files.readString(proc.resolve("uid_map")));
        assertEquals("0 1001 1\n", Files.readString(proc.resolve("gid_map")));
    }

    @Test
    void rootLeavesSetgroupsAloneAndWritesEveryMappingOnItsOwnLine() throws IOException {
        List<LinuxIdMapping> split = List.of(new LinuxIdMapping(0, 200_000, 1), new LinuxIdMapping(1000, 201_000, 10));
        IdMaps.choose(split, List.of(), false, 0, 0, DEFAULT_RANGE, false).writeTo(proc);
        assertFalse(Files.exists(proc.resolve("setgroups")));
        assertEquals("0 200000 1\n1000 201000 10\n", Files.readString(proc.resolve("uid_map")));
        assertEquals("0 1000000000 65536\n", Files.readString(proc.resolve("gid_map")));
    }

    @Test
    void aFailedWriteNamesTheFileAndTheMaps() {
        IdMaps maps = IdMaps.choose(List.of(), List.of(), true, UID, GID, DEFAULT_RANGE, false);
        LaunchException e = assertThrows(LaunchException.class, () -> maps.writeTo(proc.resolve("gone")));
        assertTrue(e.getMessage().startsWith("write " + proc.resolve("gone/setgroups") + " (deny): "), e.getMessage());
    }
}
