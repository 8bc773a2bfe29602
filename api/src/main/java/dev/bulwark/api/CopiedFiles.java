package dev.bulwark.api;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Files copied into a container before it starts (Testcontainers' withCopyFileToContainer): each start copies
 * them into a staging directory of its own, which is bound read-only at each destination and removed when the
 * container is closed. The container sees a snapshot: later changes on the host do not reach it, and it
 * cannot change the host's files. Destinations are checked as container paths (absolute, no "." or ".."
 * component); the staged names are numbers, never derived from a destination.
 */
final class CopiedFiles {
    /** One thing to copy: a host file or directory, or bytes. */
    private record Copy(Path source, byte[] content, int mode, String destination) {
    }

    private final List<Copy> copies = new ArrayList<>();

    void addPath(Path source, String destination) {
        copies.add(new Copy(source, null, -1, checkedDestination(destination)));
    }

    void addContent(byte[] content, int mode, String destination) {
        if ((mode & ~0777) != 0) {
            throw new ContainerException("copyToContainer: mode " + Integer.toOctalString(mode) + " is not a permission mode "
                    + "(0 to 0777)", "configure", "copyToContainer", LaunchException.LAUNCHER_ERROR, null);
        }
        copies.add(new Copy(null, content.clone(), mode, checkedDestination(destination)));
    }

    boolean isEmpty() {
        return copies.isEmpty();
    }

    private static String checkedDestination(String destination) {
        String why = destination == null ? "no path" : !destination.startsWith("/") ? "not absolute"
                : destination.equals("/") ? "the container's root itself"
                : destination.contains(":") ? "a ':' cannot be mounted at"
                : destination.contains("\0") ? "a NUL byte"
                : Stream.of(destination.substring(1).split("/", -1)).anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))
                ? "an empty, \".\" or \"..\" component" : null;
        if (why != null) {
            throw new ContainerException("copyFileToContainer: \"" + destination + "\" as container path: " + why,
                    "configure", "copyFileToContainer", LaunchException.LAUNCHER_ERROR, null);
        }
        return destination;
    }

    /** The staged copies of one start: where they are and the read-only binds that put them in place. */
    record Staged(Path directory, List<String> mountArguments) {
        /** Removes the staging directory (never following a link out of it); warns when it cannot. */
        void remove() {
            if (directory == null) {
                return;
            }
            try {
                removeTree(directory);
            } catch (RuntimeException e) {
                System.getLogger("dev.bulwark.api").log(System.Logger.Level.WARNING,
                        "could not remove the staged copies " + directory + ": " + e.getMessage());
            }
        }

        /**
         * Depth first, every step relative to an open directory and no link followed: a link inside is removed
         * itself, never what it names. Each directory is made the owner's own first (a copied one may have kept a
         * mode without read or write), through a descriptor of that very directory.
         */
        static void removeTree(Path directory) {
            int parent = DirectoryCalls.openat(OpenFlags.AT_FDCWD, directory.getParent().toString(),
                    OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
            try {
                removeEntry(parent, directory.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            } finally {
                Syscalls.close(parent);
            }
        }

        private static void removeEntry(int parentFd, byte[] name) {
            int self;
            try {
                self = DirectoryCalls.openat(parentFd, name,
                        OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0);
            } catch (SyscallException e) {
                if (e.errno() != Errno.ENOTDIR && e.errno() != Errno.ELOOP) {
                    throw e;
                }
                DirectoryCalls.unlinkat(parentFd, name, 0); // a file or a link: the entry itself goes
                return;
            }
            try {
                if ((DirectoryCalls.statx(self, "", DirectoryCalls.AT_EMPTY_PATH).permissions() & 0700) != 0700) {
                    ownersOwn(self);
                }
                int listing = DirectoryCalls.openat(self, ".", OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
                try {
                    for (DirectoryCalls.RawEntry entry : DirectoryCalls.rawEntries(listing)) {
                        removeEntry(listing, entry.name());
                    }
                } finally {
                    Syscalls.close(listing);
                }
            } finally {
                Syscalls.close(self);
            }
            DirectoryCalls.unlinkat(parentFd, name, OpenFlags.AT_REMOVEDIR);
        }

        /** chmod 0700 of the directory open (O_PATH) at {@code fd}: its /proc/self/fd entry names exactly it. */
        private static void ownersOwn(int fd) {
            try {
                Files.setPosixFilePermissions(Path.of("/proc/self/fd/" + fd), PosixFilePermissions.fromString("rwx------"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    static final Staged NONE = new Staged(null, List.of());

    /**
     * Copies everything into a new staging directory, readable by no other host user: made mode 0700 with a fresh
     * random name (Files.createTempDirectory: created atomically, never an existing one), every file keeping its
     * own permission bits. While it is filled it belongs to the launcher alone, so names inside it can only be
     * what this method made; then, when the container's root is another host uid ({@code containerRoot} not
     * null: root launching into a user namespace), the tree is handed to that uid and gid (never following a
     * link), so the container's root reads a 0600 file as the host's owner did. Rootless, the launcher's own uid
     * is the container's root: it owns the tree already. A source that cannot be copied fails the start naming
     * it; nothing stays.
     */
    Staged stage(ContainerRoot containerRoot) {
        if (copies.isEmpty()) {
            return NONE;
        }
        Path directory;
        try {
            directory = Files.createTempDirectory("bulwark-copies-"); // no part of it from the id: a name the caller chose
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------")); // whatever the umask
        } catch (IOException e) {
            throw new ContainerException("copyFileToContainer: cannot make a staging directory: " + e.getMessage(),
                    "configure", "copyFileToContainer", LaunchException.LAUNCHER_ERROR, e);
        }
        Staged staged = new Staged(directory, new ArrayList<>());
        try {
            for (int i = 0; i < copies.size(); i++) {
                Copy copy = copies.get(i);
                Path target = directory.resolve(Integer.toString(i));
                if (copy.content() != null) {
                    Files.write(target, copy.content());
                    Files.setPosixFilePermissions(target, permissions(copy.mode()));
                } else {
                    copyTree(copy.source(), target);
                }
                if (target.toString().contains(":")) {
                    throw new IOException("the staging path " + target + " holds a ':'; set java.io.tmpdir elsewhere");
                }
                staged.mountArguments().add(target + ":" + copy.destination() + ":ro");
            }
            if (containerRoot != null) {
                handOver(directory, containerRoot);
            }
            return new Staged(directory, List.copyOf(staged.mountArguments()));
        } catch (IOException | RuntimeException e) {
            staged.remove();
            throw new ContainerException("copyFileToContainer: " + e.getMessage(), "configure", "copyFileToContainer",
                    LaunchException.LAUNCHER_ERROR, e);
        }
    }

    /** The host uid and gid the container's root is (a user namespace's mapping of container id 0). */
    record ContainerRoot(int uid, int gid) {
    }

    /**
     * Gives the staged entries to the container's root: each one, links themselves rather than what they name.
     * The staging directory itself stays the launcher's, mode 0700: no host process of the container's uid can
     * reach into the tree (to swap an entry for a link, say), and the container needs no way through it: the
     * launcher clones each entry as host root for the bind (see LauncherMounts).
     */
    private static void handOver(Path directory, ContainerRoot root) throws IOException {
        UserPrincipalLookupService lookup = directory.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal uid = lookup.lookupPrincipalByName(Integer.toString(root.uid()));
        GroupPrincipal gid = lookup.lookupPrincipalByGroupName(Integer.toString(root.gid()));
        try (Stream<Path> entries = Files.walk(directory)) { // never follows a link
            for (Path entry : (Iterable<Path>) entries::iterator) {
                if (entry.equals(directory)) {
                    continue;
                }
                PosixFileAttributeView view = Files.getFileAttributeView(entry, PosixFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS);
                view.setOwner(uid);
                view.setGroup(gid);
            }
        }
    }

    /** A file (following a link given as the source: the caller named it) or a directory tree (links inside copied as links). */
    private static void copyTree(Path source, Path target) throws IOException {
        Path real;
        try {
            real = source.toRealPath();
        } catch (IOException e) {
            throw new IOException(source + " does not exist or cannot be read (" + e.getMessage() + ")", e);
        }
        if (!Files.isDirectory(real)) {
            copyFile(real, target);
            return;
        }
        Files.walkFileTree(real, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path to = target.resolve(real.relativize(dir).toString());
                Files.createDirectories(to);
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwx------")); // its own once filled
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failed) throws IOException {
                if (failed != null) {
                    throw failed;
                }
                Files.setPosixFilePermissions(target.resolve(real.relativize(dir).toString()),
                        Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path to = target.resolve(real.relativize(file).toString());
                if (attrs.isSymbolicLink()) {
                    Files.copy(file, to, LinkOption.NOFOLLOW_LINKS); // resolved inside the container, as a link there
                } else if (attrs.isRegularFile()) {
                    copyFile(file, to);
                } else {
                    throw new IOException(file + " is neither a regular file, a directory nor a link");
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void copyFile(Path file, Path to) throws IOException {
        Files.copy(file, to, StandardCopyOption.REPLACE_EXISTING);
        // its own permission bits (never set-id: those are not permissions), not widened for other host users
        Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        StringBuilder text = new StringBuilder();
        for (int shift = 6; shift >= 0; shift -= 3) {
            int bits = (mode >> shift) & 7;
            text.append((bits & 4) != 0 ? 'r' : '-').append((bits & 2) != 0 ? 'w' : '-').append((bits & 1) != 0 ? 'x' : '-');
        }
        return PosixFilePermissions.fromString(text.toString());
    }
}
