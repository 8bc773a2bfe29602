package dev.bulwark.launcher.setup;

import java.util.ArrayList;
import java.util.List;

import static dev.bulwark.nativ.constants.MountApi.*;
import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * mount(2)'s MS_* flags translated for the fd-based API: per-mount attributes (mount_setattr,
 * fsmount) and the superblock flags fsconfig takes by name.
 */
final class MountAttributes {
    private static final long[][] PER_MOUNT = {
            {MS_RDONLY, MOUNT_ATTR_RDONLY}, {MS_NOSUID, MOUNT_ATTR_NOSUID}, {MS_NODEV, MOUNT_ATTR_NODEV},
            {MS_NOEXEC, MOUNT_ATTR_NOEXEC}, {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW}};

    private MountAttributes() {
    }

    /** The MOUNT_ATTR_* flags of {@code flags}, without the atime mode. */
    static long flags(long flags) {
        long attributes = 0;
        for (long[] pair : PER_MOUNT) {
            if ((flags & pair[0]) != 0) {
                attributes |= pair[1];
            }
        }
        return attributes;
    }

    /** Whether {@code flags} choose an atime mode (noatime, strictatime, relatime). */
    static boolean setsAtime(long flags) {
        return (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) != 0;
    }

    /** The MOUNT_ATTR__ATIME field for {@code flags}; relatime (0) when they choose none. */
    static long atime(long flags) {
        if ((flags & MS_NOATIME) != 0) {
            return MOUNT_ATTR_NOATIME;
        }
        return (flags & MS_STRICTATIME) != 0 ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
    }

    /** Superblock flags of {@code flags} as fsconfig flag names (sync, dirsync, mand). */
    static List<String> superblockFlags(long flags) {
        List<String> names = new ArrayList<>();
        if ((flags & MS_SYNCHRONOUS) != 0) {
            names.add("sync");
        }
        if ((flags & MS_DIRSYNC) != 0) {
            names.add("dirsync");
        }
        if ((flags & MS_MANDLOCK) != 0) {
            names.add("mand");
        }
        return names;
    }
}
