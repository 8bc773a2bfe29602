package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.bulwark.nativ.constants.MountFlags.*;
import static org.junit.jupiter.api.Assertions.*;

/** The flags a remount of a bind must keep, read from this host's real mounts with statfs. */
class LockedMountFlagsTest {
    /** Every flag statfs reports on a few local mounts of this host comes back as the MS_ flag a bind must keep. */
    @Test
    void theFlagsOfTheHostsMountsAreKept() throws IOException {
        int checked = 0;
        for (String path : List.of("/proc", "/sys", "/dev", "/dev/shm", "/run", "/tmp", "/")) {
            String options = mountOptions(path);
            if (options == null) {
                continue; // not a mount point on this host
            }
            List<String> words = List.of(options.split(","));
            long locked = LockedMountFlags.of(Path.of(path), 0);
            assertEquals(words.contains("ro"), (locked & MS_RDONLY) != 0, path + " " + options);
            assertEquals(words.contains("nosuid"), (locked & MS_NOSUID) != 0, path + " " + options);
            assertEquals(words.contains("nodev"), (locked & MS_NODEV) != 0, path + " " + options);
            assertEquals(words.contains("noexec"), (locked & MS_NOEXEC) != 0, path + " " + options);
            assertEquals(words.contains("noatime"), (locked & MS_NOATIME) != 0, path + " " + options);
            assertEquals(words.contains("relatime"), (locked & MS_RELATIME) != 0, path + " " + options);
            checked++;
        }
        assertTrue(checked > 0, "no mount point to read on this host");
    }

    /** The kernel locks flags only on mounts copied into a user namespace's mount namespace. */
    @Test
    void nothingIsLockedForAContainerWithoutAUserNamespace() {
        Spec withUserNamespace = HardenedDefaults.spec(DefaultsOptions.root());
        Spec without = withUserNamespace.withLinux(HardenedDefaults.linuxWithoutUserNamespace(false));
        assertFalse(without.linux().hasNamespace("user"));
        assertEquals(0, LockedMountFlags.of(without, Path.of("/proc"), 0));
        assertEquals(LockedMountFlags.of(Path.of("/proc"), 0), LockedMountFlags.of(withUserNamespace, Path.of("/proc"), 0));
    }

    @Test
    void theAtimeModeIsKeptOnlyWhenTheOptionsSetNone() {
        long readAtime = LockedMountFlags.of(Path.of("/proc"), 0) & (MS_NOATIME | MS_RELATIME);
        long withOwnAtime = LockedMountFlags.of(Path.of("/proc"), MS_STRICTATIME) & (MS_NOATIME | MS_RELATIME);
        assertEquals(0, withOwnAtime, "options that set an atime mode replace the host's");
        assertTrue(readAtime == 0 || Long.bitCount(readAtime) == 1, "at most one atime mode is kept");
    }

    @Test
    void aMissingSourceIsALaunchErrorNamingIt() {
        LaunchException e = assertThrows(LaunchException.class, () -> LockedMountFlags.of(Path.of("/nonexistent-bulwark"), 0));
        assertTrue(e.getMessage().startsWith("bind source /nonexistent-bulwark: "), e.getMessage());
    }

    /** The options field of {@code path}'s line in /proc/self/mounts (the last mount on it wins), or null. */
    private static String mountOptions(String path) throws IOException {
        String options = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] fields = line.split(" ");
            if (fields[1].equals(path)) {
                options = fields[3];
            }
        }
        return options;
    }
}
