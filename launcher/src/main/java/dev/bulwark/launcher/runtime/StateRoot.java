package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.LauncherUserNamespace;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * The directory holding every container's state directory, held open: each container directory and
 * file is reached relative to this descriptor, one component at a time and never through a symlink,
 * so no id or file name can lead outside it.
 *
 * <p>It is trusted only if it is the caller's own: a real directory (not a symlink), owned by the
 * effective uid and not writable by group or others. Anything else (say a {@code /tmp/bulwark-UID}
 * squatted by another user) is refused with one line naming the path and the reason.
 */
public final class StateRoot implements AutoCloseable {
    static final int DIRECTORY_MODE = 0711; // the container's root (an unprivileged host id) traverses to the rootfs mount point

    private final Path path;
    private final int fd;

    private StateRoot(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * The default state root for this user: /run/bulwark, $XDG_RUNTIME_DIR/bulwark, or /tmp/bulwark-UID. Root of
     * a user namespace other than the host's (rootless Podman runs its runtime there) is a user like any other,
     * as runc decides: host root's /run/bulwark is not its own.
     */
    public static Path defaultPath(int euid) {
        if (euid == 0 && LauncherUserNamespace.isInitial()) {
            return Path.of("/run/bulwark");
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && Files.isWritable(Path.of(runtime))) {
            return Path.of(runtime, "bulwark");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "bulwark-" + euid);
    }

    /** Opens the root for a launch, creating it (mode 0711) when missing. */
    public static StateRoot openOrCreate(Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.createDirectory(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // checked below, whoever made it
        } catch (IOException e) {
            throw new LaunchException("state root " + path + ": cannot create it: " + e.getMessage(), e);
        }
        return open(path).orElseThrow(() -> new LaunchException("state root " + path + ": removed while being opened"));
    }

    /** Opens an existing root; empty when it does not exist (so no container does). */
    public static Optional<StateRoot> open(Path path) {
        int fd;
        try {
            fd = DirectoryCalls.openat(OpenFlags.AT_FDCWD, path.toString(),
                    OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return Optional.empty();
            }
            if (e.errno() == Errno.ELOOP || e.errno() == Errno.ENOTDIR) {
                throw new LaunchException("state root " + path + ": is a symlink or not a directory; refusing to use it");
            }
            throw new LaunchException("state root " + path + ": " + e.getMessage(), e);
        }
        StateRoot root = new StateRoot(path, fd);
        try {
            root.requireTrusted(Syscalls.geteuid());
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
        return Optional.of(root);
    }

    private void requireTrusted(int euid) {
        DirectoryCalls.FileStatus status = DirectoryCalls.statx(fd, "", DirectoryCalls.AT_EMPTY_PATH);
        if (status.uid() != euid) {
            throw new LaunchException("state root " + path + ": owned by uid " + status.uid() + ", not by you (uid "
                    + euid + "); refusing to use it (remove it, or pass --root DIR)");
        }
        if ((status.permissions() & 0022) != 0) {
            throw new LaunchException("state root " + path + ": writable by group or others (mode "
                    + Integer.toOctalString(status.permissions()) + "); refusing to use it (chmod go-w it, or remove it)");
        }
    }

    public Path path() {
        return path;
    }

    int fd() {
        return fd;
    }

    /** The ids of the container directories here (entries that are not valid ids, like tombstones, are skipped). */
    public List<ContainerId> ids() {
        int listing = DirectoryCalls.openat(fd, ".", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        try {
            return DirectoryCalls.entries(listing).stream()
                    .filter(e -> e.mayBeDirectory() && ContainerId.isValid(e.name()))
                    .map(e -> new ContainerId(e.name())).sorted(java.util.Comparator.comparing(ContainerId::value)).toList();
        } finally {
            Syscalls.close(listing);
        }
    }

    /** Names of all entries (tombstones included). */
    List<String> entryNames() {
        int listing = DirectoryCalls.openat(fd, ".", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        try {
            return DirectoryCalls.entries(listing).stream().map(DirectoryCalls.Entry::name).toList();
        } finally {
            Syscalls.close(listing);
        }
    }

    @Override
    public void close() {
        Syscalls.close(fd);
    }
}
