package dev.bulwark.launcher.cgroup;

import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A container's cgroup with every cgroup below it: a container with a writable cgroupfs may create
 * children of its own cgroup and move its processes there. Walked through directory file descriptors
 * (O_NOFOLLOW, each child opened relative to its parent by its name's raw bytes, which need not be
 * UTF-8), since the container can create and remove children while the runtime walks; a child that
 * vanishes meanwhile (ENOENT, ENODEV) is simply skipped. The walk holds one directory descriptor at a
 * time, however deep the nesting: a parent is reached again through its child's "..", which in
 * cgroupfs is always the real parent (a cgroup cannot be renamed into another parent).
 */
final class CgroupSubtree {
    private static final int DIR_FLAGS = OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
    private static final int FILE_FLAGS = OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
    private static final byte[] PARENT = {'.', '.'};
    private static final int ENODEV = 19; // reading a file of a cgroup removed meanwhile
    private static final int REMOVE_ATTEMPTS = 100;
    private static final int LIST_ATTEMPTS = 10;
    private static final long REMOVE_RETRY_MILLIS = 20;

    private CgroupSubtree() {
    }

    /** What a walk does in each directory: on entering it, and after every directory below it was left. */
    interface Visitor {
        /** Called with the directory open at {@code dirfd}, before its children. */
        void enter(int dirfd);

        /** Called after the child {@code name} of the directory open at {@code parentFd} and all below it were walked. */
        void leave(int parentFd, byte[] name);
    }

    /** The PIDs in {@code root} and in every cgroup below it; empty when {@code root} is gone. */
    static Set<Long> pids(Path root) throws CgroupException {
        SyscallException last = null;
        for (int attempt = 0; attempt < LIST_ATTEMPTS; attempt++) {
            Set<Long> pids = new LinkedHashSet<>();
            try {
                walk(root, new Visitor() {
                    @Override
                    public void enter(int dirfd) {
                        pids.addAll(readPids(dirfd));
                    }

                    @Override
                    public void leave(int parentFd, byte[] name) {
                    }
                });
                return pids;
            } catch (SyscallException e) {
                if (!lostPlace(e)) {
                    throw new CgroupException("cannot list the processes below " + root + ": " + e.getMessage(), e);
                }
                last = e; // a cgroup the walk stood in was removed meanwhile: walk again
            }
        }
        throw new CgroupException("cannot list the processes below " + root + ": its cgroups keep changing: "
                + last.getMessage(), last);
    }

    /**
     * Removes {@code root} and every cgroup below it, children before their parent, at any depth. ENOENT
     * (removed concurrently) is fine; EBUSY (tasks still exiting, or a child created meanwhile) starts
     * another round, for about two seconds.
     */
    static void remove(Path root) throws CgroupException {
        SyscallException last = null;
        for (int attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
            try {
                removeOnce(root);
                return;
            } catch (SyscallException e) {
                if (e.errno() != Errno.EBUSY && !lostPlace(e)) {
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
        walk(root, new Visitor() {
            @Override
            public void enter(int dirfd) {
            }

            @Override
            public void leave(int parentFd, byte[] name) {
                try {
                    DirectoryCalls.unlinkat(parentFd, name, OpenFlags.AT_REMOVEDIR);
                } catch (SyscallException e) {
                    if (e.errno() != Errno.ENOENT) {
                        throw e;
                    }
                }
            }
        });
        try {
            DirectoryCalls.unlinkat(OpenFlags.AT_FDCWD, root.toString(), OpenFlags.AT_REMOVEDIR);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
    }

    /**
     * Walks {@code root} and every directory below it depth first (nothing when {@code root} is gone),
     * holding at most two directory descriptors at any time: the names still to visit are kept per level
     * in memory, and a parent is reopened through "..". {@code root} itself is never left through "..".
     */
    static void walk(Path root, Visitor visitor) throws CgroupException {
        int rootFd = openRoot(root);
        if (rootFd < 0) {
            return;
        }
        int current = rootFd;
        Deque<Deque<byte[]>> pending = new ArrayDeque<>(); // per level, the subdirectories not yet walked
        Deque<byte[]> path = new ArrayDeque<>(); // the names from root down to current
        try {
            visitor.enter(current);
            pending.push(subdirectoryNames(current));
            while (!pending.isEmpty()) {
                Deque<byte[]> names = pending.peek();
                if (names.isEmpty()) {
                    pending.pop();
                    if (pending.isEmpty()) {
                        break; // root's children are done
                    }
                    int parent = pending.size() == 1 ? rootFd : DirectoryCalls.openat(current, PARENT, DIR_FLAGS, 0);
                    Syscalls.close(current);
                    current = parent;
                    visitor.leave(current, path.pop());
                    continue;
                }
                byte[] name = names.pop();
                int child = openChild(root, path, current, name);
                if (child < 0) {
                    continue;
                }
                if (current != rootFd) {
                    Syscalls.close(current);
                }
                current = child;
                path.push(name);
                visitor.enter(current);
                pending.push(subdirectoryNames(current));
            }
        } finally {
            if (current != rootFd) {
                Syscalls.close(current);
            }
            Syscalls.close(rootFd);
        }
    }

    private static Deque<byte[]> subdirectoryNames(int dirfd) {
        Deque<byte[]> names = new ArrayDeque<>();
        for (DirectoryCalls.RawEntry entry : DirectoryCalls.rawEntries(dirfd)) {
            if (entry.mayBeDirectory()) {
                names.add(entry.name());
            }
        }
        return names;
    }

    /** Whether the walk failed because the cgroup it stood in vanished (so its ".." could not be reached). */
    private static boolean lostPlace(SyscallException e) {
        return e.errno() == Errno.ENOENT || e.errno() == ENODEV;
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
    private static int openChild(Path root, Deque<byte[]> path, int dirfd, byte[] name) throws CgroupException {
        try {
            return DirectoryCalls.openat(dirfd, name, DIR_FLAGS, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                return -1;
            }
            StringBuilder where = new StringBuilder(root.toString());
            path.descendingIterator().forEachRemaining(n -> where.append('/').append(new String(n, StandardCharsets.UTF_8)));
            throw new CgroupException("cannot open the cgroup " + where + "/" + new String(name, StandardCharsets.UTF_8)
                    + ": " + e.getMessage(), e);
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
