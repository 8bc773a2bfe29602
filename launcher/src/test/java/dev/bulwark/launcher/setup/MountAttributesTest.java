package dev.bulwark.launcher.setup;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.bulwark.nativ.constants.MountApi.*;
import static dev.bulwark.nativ.constants.MountFlags.*;
import static org.junit.jupiter.api.Assertions.*;

class MountAttributesTest {
    @Test
    void perMountFlagsMapToMountAttributes() {
        assertEquals(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                MountAttributes.flags(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
        assertEquals(MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW, MountAttributes.flags(MS_NODIRATIME | MS_NOSYMFOLLOW));
        assertEquals(0, MountAttributes.flags(MS_SYNCHRONOUS | MS_DIRSYNC | MS_BIND | MS_REC), "not per-mount flags");
    }

    @Test
    void atimeIsAFieldNotAFlag() {
        assertEquals(MOUNT_ATTR_STRICTATIME, MountAttributes.atime(MS_STRICTATIME));
        assertEquals(MOUNT_ATTR_NOATIME, MountAttributes.atime(MS_NOATIME));
        assertEquals(MOUNT_ATTR_RELATIME, MountAttributes.atime(MS_RELATIME));
        assertEquals(MOUNT_ATTR_RELATIME, MountAttributes.atime(MS_NOSUID), "the kernel's default");
        assertTrue(MountAttributes.setsAtime(MS_STRICTATIME));
        assertFalse(MountAttributes.setsAtime(MS_RDONLY));
    }

    @Test
    void superblockFlagsAreNamedForFsconfig() {
        assertEquals(List.of("sync", "dirsync"), MountAttributes.superblockFlags(MS_SYNCHRONOUS | MS_DIRSYNC | MS_RDONLY));
        assertEquals(List.of(), MountAttributes.superblockFlags(MS_NODEV));
    }
}
