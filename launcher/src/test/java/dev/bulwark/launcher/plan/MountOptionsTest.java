package dev.bulwark.launcher.plan;

import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.bulwark.nativ.constants.MountFlags.*;
import static org.junit.jupiter.api.Assertions.*;

class MountOptionsTest {
    @Test
    void splitsFlagsPropagationAndData() {
        MountOptions options = MountOptions.parse(List.of("nosuid", "strictatime", "mode=755", "size=65536k", "rslave"), "mounts[1].options");
        assertEquals(MS_NOSUID | MS_STRICTATIME, options.flags());
        assertEquals(List.of(MS_SLAVE | MS_REC), options.propagation());
        assertEquals("mode=755,size=65536k", options.data());
        assertFalse(options.isBind());
    }

    @Test
    void laterOptionsWin() {
        MountOptions options = MountOptions.parse(List.of("ro", "rw", "noexec", "exec", "nodev"), "o");
        assertEquals(MS_NODEV, options.flags());
        assertEquals(MS_RDONLY | MS_NOEXEC, options.clearedFlags());
    }

    @Test
    void rbindIsRecursiveAndRemountFlagsExcludeTheBindItself() {
        MountOptions options = MountOptions.parse(List.of("rbind", "ro", "nosuid"), "o");
        assertTrue(options.isRecursiveBind());
        assertEquals(MS_RDONLY | MS_NOSUID, options.remountFlags());
    }

    @Test
    void unsupportedOptionsAreNamedWithTheirIndex() {
        LaunchException e = assertThrows(LaunchException.class, () -> MountOptions.parse(List.of("ro", "idmap"), "mounts[4].options"));
        assertEquals("mounts[4].options[1]: option \"idmap\" is not supported by Bulwark", e.getMessage());
        LaunchException comma = assertThrows(LaunchException.class, () -> MountOptions.parse(List.of("ro,nosuid"), "mounts[0].options"));
        assertEquals("mounts[0].options[0]: must be a single non-empty option", comma.getMessage());
    }
}
