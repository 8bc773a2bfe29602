package dev.bulwark.launcher.cgroup;

import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A container's cgroup with every cgroup below it: a container with a writable cgroupfs may create
 * children of its own cgroup and move its processes there. Walked through directory file descriptors
 * (O_NOFOLLOW, each level opened relative to its parent), since the container can create and remove
 * children while the runtime walks; a child that vanishes meanwhile (ENOENT, ENODEV) is simply skipped.
 */
final class CgroupSubtree {
    /** Deeper nesting is refused rather than walked: one file descriptor is open per level. */
    static final int MAX_DEPTH = 200;
    private static final int DIR_FLAGS = OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
    private static final int FILE_FLAGS = OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
    private static final int ENODEV = 19; // reading a file of a cgroup removed meanwhile
    private static final int REMOVE_ATTEMPTS = 100;
    private static final long REMOVE_RETRY_MILLIS = 20;

    private CgroupSubtree() {
    }

    /** The PIDs in {@code root} and in every cgroup below it; empty when {@code root} is gone. */
    static Set<Long> pids(Path root) throws CgroupException {
        Set<Long> pids = new LinkedHashSet<>();
        int fd = openRoot(root);
        if (fd < 0) {
            return pids;
        }
        try {
            collectPids(root, fd, 0, pids);
        } catch (SyscallException e) {
            throw new CgroupException("cannot list the processes below " + root + ": " + e.getMessage(), e);
        } finally {
            Syscalls.close(fd);
        }
        return pids;
    }

    /**
     * Removes {@code root} and every cgroup below it, children before their parent. ENOENT (removed
     * concurrently) is fine; EBUSY (tasks still exiting, or a child created meanwhile) starts another
     * round, for about two seconds.
     */
    static void remove(Path root) throws CgroupException {
        SyscallException last = null;
        for (int attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
            try {
                removeOnce(root);
                return;
            } catch (SyscallException e) {
                if (e.errno() != Errno.EBUSY) {
                    throw new CgroupException("cannot remove the cgroup " + root + ": " + e.getMessage(), e);
                }
                last = e;
                sleep();
            }
        }
        throw new CgroupException("cannot remove the cgroup " + root + ": " + last.getMessage()
                + " (processes left: " + describe(root) + ")", last);
    }

    private static void removeOnce(Path root) throws CgroupException {
        int fd = openRoot(root);
        if (fd < 0) {
            return;
        }
        try {
            removeChildren(root, fd, 0);
        } finally {
            Syscalls.close(fd);
        }
        try {
            DirectoryCalls.unlinkat(OpenFlags.AT_FDCWD, root.toString(), OpenFlags.AT_REMOVEDIR);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
    }

    private static void removeChildren(Path at, int dirfd, int depth) throws CgroupException {
        for (DirectoryCalls.Entry entry : DirectoryCalls.entries(dirfd)) {
            if (!entry.mayBeDirectory()) {
                continue;
            }
            int child = openChild(at, dirfd, entry.name(), depth);
            if (child < 0) {
                continue;
            }
            try {
                removeChildren(at.resolve(entry.name()), child, depth + 1);
            } finally {
                Syscalls.close(child);
            }
            try {
                DirectoryCalls.unlinkat(dirfd, entry.name(), OpenFlags.AT_REMOVEDIR);
            } catch (SyscallException e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
            }
        }
    }

    private static void collectPids(Path at, int dirfd, int depth, Set<Long> pids) throws CgroupException {
        pids.addAll(readPids(dirfd));
        for (DirectoryCalls.Entry entry : DirectoryCalls.entries(dirfd)) {
            if (!entry.mayBeDirectory()) {
                continue;
            }
            int child = openChild(at, dirfd, entry.name(), depth);
            if (child < 0) {
                continue;
            }
            try {
                collectPids(at.resolve(entry.name()), child, depth + 1, pids);
            } finally {
                Syscalls.close(child);
            }
        }
    }

    /** The cgroup's root directory fd, or -1 when it is gone. */
    private static int openRoot(Path root) throws CgroupException {
        try {
            return DirectoryCalls.openat(OpenFlags.AT_FDCWD, root.toString(), DIR_FLAGS, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return -1;
            }
            throw new CgroupException("cannot open the cgroup " + root + ": " + e.getMessage(), e);
        }
    }

    /** A child cgroup's fd, or -1 when it is not a directory or vanished meanwhile. */
    private static int openChild(Path at, int dirfd, String name, int depth) throws CgroupException {
        if (depth + 1 > MAX_DEPTH) {
            throw new CgroupException(at + " has cgroups nested more than " + MAX_DEPTH + " deep; not walked");
        }
        try {
            return DirectoryCalls.openat(dirfd, name, DIR_FLAGS, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                return -1;
            }
            throw new CgroupException("cannot open the cgroup " + at.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    /** cgroup.procs of the cgroup open at {@code dirfd}; empty when the cgroup was removed meanwhile. */
    private static Set<Long> readPids(int dirfd) {
        Set<Long> pids = new LinkedHashSet<>();
        int fd;
        try {
            fd = DirectoryCalls.openat(dirfd, "cgroup.procs", FILE_FLAGS, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return pids;
            }
            throw e;
        }
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try {
            for (byte[] chunk = Syscalls.read(fd, 8192); chunk.length > 0; chunk = Syscalls.read(fd, 8192)) {
                text.writeBytes(chunk);
            }
        } catch (SyscallException e) {
            if (e.errno() != ENODEV && e.errno() != Errno.ENOENT) { // removed while read
                throw e;
            }
        } finally {
            Syscalls.close(fd);
        }
        for (String line : text.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.strip()));
            }
        }
        return pids;
    }

    private static String describe(Path root) {
        try {
            return pids(root).toString();
        } catch (CgroupException e) {
            return "unknown";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(REMOVE_RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
