package dev.bulwark.launcher.setup;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static dev.bulwark.nativ.constants.MountApi.*;

/**
 * Host paths the child mounts from (the bundle's rootfs, bind sources, device nodes): the parent
 * resolves them once to their canonical form, so a legitimate symlink (/etc/resolv.conf ->
 * ../run/...) is followed here; the child then opens that canonical path with openat2
 * (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) and mounts from the fd. A symlink swapped in
 * between fails the open with ELOOP (fails closed) instead of leading the mount elsewhere.
 */
final class HostPathFds {
    private HostPathFds() {
    }

    /** The canonical form of {@code path}; a missing path is refused naming {@code field}. */
    static Path canonical(Path path, String field) {
        try {
            return path.toRealPath();
        } catch (NoSuchFileException e) {
            throw new LaunchException(field + ": " + path + " does not exist");
        } catch (IOException e) {
            throw new LaunchException(field + ": " + path + " cannot be resolved: " + e.getMessage(), e);
        }
    }

    /**
     * Appends an openat2 of the canonical {@code path} as an O_PATH fd (O_DIRECTORY when
     * {@code directory}) that follows no symlink on the way, the last component included.
     *
     * @param field the config field the path comes from, named first in the step (its error message)
     */
    static Entry open(ChildSteps steps, String field, Path path, boolean directory) {
        return steps.step(field + ": open " + path + " (canonical, no symlink followed)",
                "the host path is pinned by an fd; a symlink swapped in since the launcher resolved it fails with ELOOP",
                "openat2", OpenFlags.AT_FDCWD, steps.string(path.toString()),
                openHow(steps, directory ? OpenFlags.O_DIRECTORY : 0, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), OPEN_HOW_SIZE);
    }

    /** A struct open_how for an O_PATH | O_CLOEXEC open with {@code extraFlags} and {@code resolve}. */
    static long openHow(ChildSteps steps, long extraFlags, long resolve) {
        long how = steps.memory().allocate(OPEN_HOW_SIZE); // struct open_how: flags, mode, resolve
        NativeMemory.putLong(how, OpenFlags.O_PATH | OpenFlags.O_CLOEXEC | extraFlags);
        NativeMemory.putLong(how + 16, resolve);
        return how;
    }
}
