package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;

import java.nio.file.Path;

import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * The mount flags a remount of a bind of a host path must keep, read from the host with statfs. The
 * kernel locks them only on mounts copied into the mount namespace of a user namespace: without one
 * (real root), a config's own flags stand alone, as with runc.
 */
public final class LockedMountFlags {
    private LockedMountFlags() {
    }

    /**
     * Flags the kernel locks on a bind of a mount from a more privileged namespace: a remount must
     * keep them or it fails with EPERM. nosuid/nodev/noexec/ro are kept; the atime mode too, unless
     * the options set one.
     */
    public static long of(Path source, long requested) {
        return read(source, requested);
    }

    /** {@link #of} for a container of {@code spec}: nothing is locked unless it has a user namespace. */
    public static long of(Spec spec, Path source, long requested) {
        return spec.linux() != null && spec.linux().hasNamespace("user") ? read(source, requested) : 0;
    }

    private static long read(Path source, long requested) {
        long statfs;
        try {
            statfs = Syscalls.statfsFlags(source.toString());
        } catch (SyscallException e) {
            throw new LaunchException("bind source " + source + ": " + e.getMessage(), e);
        }
        long locked = 0;
        if ((statfs & ST_RDONLY) != 0) {
            locked |= MS_RDONLY;
        }
        if ((statfs & ST_NOSUID) != 0) {
            locked |= MS_NOSUID;
        }
        if ((statfs & ST_NODEV) != 0) {
            locked |= MS_NODEV;
        }
        if ((statfs & ST_NOEXEC) != 0) {
            locked |= MS_NOEXEC;
        }
        long atimeMask = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
        if ((requested & atimeMask) == 0) {
            if ((statfs & ST_NOATIME) != 0) {
                locked |= MS_NOATIME;
            } else if ((statfs & ST_RELATIME) != 0) {
                locked |= MS_RELATIME;
            }
        }
        if ((statfs & ST_NODIRATIME) != 0) {
            locked |= MS_NODIRATIME;
        }
        return locked;
    }

}
