package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.MountCalls;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdmapRuleTest {
    private static final IdmapRule RANGE = new IdmapRule(List.of(new LinuxIdMapping(0, 100000, 65536)),
            List.of(new LinuxIdMapping(0, 200000, 65536)));

    @Test
    void aRootOwnedRootfsIsIdmappedWhenBulwarkChoseTheRangeOrCannotReachIt() {
        assertTrue(RANGE.idmapRootfs(0, true, true, true), "hardened, read-only: the image's ids appear as written");
        assertFalse(RANGE.idmapRootfs(0, true, true, false),
                "hardened, writable and reachable by host users: container root could plant setuid-root files there");
        assertTrue(RANGE.idmapRootfs(0, false, false, false), "unreachable: the only way in");
        assertFalse(RANGE.idmapRootfs(0, false, true, true), "the config chose its range and the rootfs is reachable: as written");
    }

    @Test
    void anImageOwnedByTheMappedRangeIsNeverIdmapped() {
        assertFalse(RANGE.idmapRootfs(100000, true, false, false), "already shifted: idmapping would shift it twice");
        assertFalse(RANGE.idmapBind(165535, false));
        assertTrue(RANGE.idmapBind(165536, false), "just past the range");
    }

    @Test
    void aBindSourceIsIdmappedOnlyWhenUnreachable() {
        assertTrue(RANGE.idmapBind(0, false));
        assertFalse(RANGE.idmapBind(0, true));
    }

    @Test
    void deviceOwnersMapToHostIdsAndAnUnmappedOneIsNamed() {
        assertEquals(100005, RANGE.hostUid(5, "linux.devices[0].uid"));
        assertEquals(200000, RANGE.hostGid(0, "linux.devices[0].gid"));
        assertEquals("linux.devices[0].uid: container id 70000 is not mapped by the user namespace",
                assertThrows(LaunchException.class, () -> RANGE.hostUid(70000, "linux.devices[0].uid")).getMessage());
    }

    @Test
    void searchFollowsOwnerThenGroupThenOther() {
        assertTrue(IdmapRule.searchable(0100, 7, 8, 7, 9));
        assertFalse(IdmapRule.searchable(0711 & ~0100, 7, 8, 7, 8), "the owner's bits, not the group's");
        assertTrue(IdmapRule.searchable(0010, 1, 8, 7, 8));
        assertFalse(IdmapRule.searchable(0700, 0, 0, 100000, 200000), "a 0700 root directory stops container root");
        assertTrue(IdmapRule.searchable(0711, 0, 0, 100000, 200000));
    }

    @Test
    void makedevEncodesAsGlibcDoes() {
        assertEquals(0x103, MountCalls.makedev(1, 3));
        assertEquals(0x1000_0010_0ae8L, MountCalls.makedev(0x100a, 0x1e8), "high bits of both");
    }
}
