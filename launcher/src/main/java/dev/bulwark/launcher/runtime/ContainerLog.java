package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

import java.util.Optional;

/**
 * The output file of a container started by {@code run --detach}: {@code container.log} in its state
 * directory. No launcher stays resident to relay output, so the container's stdout and stderr are both
 * this one file, opened O_APPEND by the launcher and inherited as fds 1 and 2: plain bytes, the two
 * streams interleaved in the order they were written (as {@code runc run -d >file 2>&1}). It goes with
 * the state directory at {@code delete}.
 */
public final class ContainerLog {
    static final String FILE = "container.log";
    private static final int O_APPEND = 02000;
    private static final int MODE = 0600; // only its owner reads what the container wrote

    private ContainerLog() {
    }

    /** Creates the (new, empty) log in {@code directory} and opens it for appending: the child inherits this fd. */
    static int create(StateDirectory directory) {
        try {
            return DirectoryCalls.openat(directory.fd(), FILE, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL
                    | O_APPEND | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, MODE);
        } catch (SyscallException e) {
            throw new LaunchException("state directory " + directory.path() + ": creating " + FILE + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens the log of {@code id} for reading, through the root's and the state directory's fds without
     * following a symlink; empty when the container has none (its stdio was its caller's). The fd is the
     * caller's to close; it keeps reading the file even once {@code delete} removed it.
     */
    public static Optional<Integer> openForReading(StateRoot root, ContainerId id) {
        StateDirectory.read(root, id); // "does not exist" (exit 1) first
        int directory;
        try {
            directory = DirectoryCalls.openat(root.fd(), id.value(), OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY
                    | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                throw new NoSuchContainerException(id);
            }
            throw new LaunchException("container " + id + ": " + e.getMessage(), e);
        }
        try {
            int file = DirectoryCalls.openat(directory, FILE, OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_NONBLOCK
                    | OpenFlags.O_CLOEXEC, 0);
            if (!DirectoryCalls.statx(file, "", DirectoryCalls.AT_EMPTY_PATH).isRegularFile()) {
                Syscalls.close(file);
                throw new LaunchException("container " + id + ": " + root.path().resolve(id.value()).resolve(FILE)
                        + " is not a regular file; not a Bulwark log, left alone");
            }
            return Optional.of(file);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return Optional.empty();
            }
            throw new LaunchException("container " + id + ": reading " + FILE + ": " + e.getMessage(), e);
        } finally {
            Syscalls.close(directory);
        }
    }
}
