package dev.bulwark.launcher.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A container's directory under the state root ({@code /run/bulwark/<id>} as root,
 * {@code $XDG_RUNTIME_DIR/bulwark/<id>} or {@code /tmp/bulwark-<uid>/<id>} rootless): holds
 * {@code state.json}, which lets the container be inspected from outside, and the mount point of
 * the built-in root. Creating it claims the id; it is removed when the container is gone.
 */
public final class StateDirectory implements AutoCloseable {
    /** For reading state.json only (writing is by hand, see {@link ContainerState#toJson()}). */
    private static final class Reader {
        static final ObjectMapper JSON = new ObjectMapper();
    }

    private final Path path;

    private StateDirectory(Path path) {
        this.path = path;
    }

    /** The default state root for this user. */
    public static Path defaultRoot(int euid) {
        if (euid == 0) {
            return Path.of("/run/bulwark");
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && Files.isWritable(Path.of(runtime))) {
            return Path.of(runtime, "bulwark");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "bulwark-" + euid);
    }

    /** Claims {@code id}: fails if a container of that id is already running. */
    public static StateDirectory claim(Path root, String id) {
        try {
            // 0711: the container's root user (an unprivileged host id) must traverse to the rootfs mount point.
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            Path dir = root.resolve(id);
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            } catch (FileAlreadyExistsException e) {
                if (!reclaimIfStale(dir)) {
                    throw new LaunchException("--id " + id + ": a container with this id is running (" + dir + ")");
                }
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            }
            return new StateDirectory(dir);
        } catch (IOException e) {
            throw new LaunchException("state directory " + root.resolve(id) + ": " + e.getMessage(), e);
        }
    }

    /** A directory left by a launcher that was killed: its recorded pid is gone. */
    private static boolean reclaimIfStale(Path dir) throws IOException {
        ContainerState recorded = recordedIn(dir);
        if (recorded != null) {
            if (recorded.launcherAlive()) {
                return false;
            }
        } else if (Files.getLastModifiedTime(dir).toMillis() > System.currentTimeMillis() - 60_000) {
            return false; // being created right now by another launcher
        }
        return removeLeftovers(dir, recorded);
    }

    /**
     * Removes what a killed launcher left: its container's cgroup (killing anything still in it) and
     * its state directory. The directory is first renamed atomically, so of two launchers reclaiming
     * the same id only one deletes it; false for the one that lost.
     */
    private static boolean removeLeftovers(Path dir, ContainerState recorded) throws IOException {
        Path tombstone = dir.resolveSibling("." + dir.getFileName() + ".removing-" + ProcessHandle.current().pid());
        try {
            Files.move(dir, tombstone, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        if (recorded != null && recorded.cgroup() != null) {
            ContainerCgroup.find(Path.of(recorded.cgroup())).ifPresent(cgroup -> {
                try {
                    cgroup.kill();
                    cgroup.remove();
                } catch (CgroupException e) {
                    System.err.println("bulwark: warning: could not remove cgroup " + cgroup.path() + ": " + e.getMessage());
                }
            });
        }
        deleteTree(tombstone);
        return true;
    }

    public Path path() {
        return path;
    }

    /** The state recorded in {@code dir}, or null when it has none (yet). */
    private static ContainerState recordedIn(Path dir) throws IOException {
        Path state = dir.resolve("state.json");
        return Files.exists(state) ? Reader.JSON.readValue(state.toFile(), ContainerState.class) : null;
    }

    /** Removes the cgroup and state of a container whose launcher is gone (callers check that first). */
    public static void removeStale(Path root, String id) {
        Path dir = root.resolve(id);
        try {
            removeLeftovers(dir, recordedIn(dir));
        } catch (IOException e) {
            throw new LaunchException("removing " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path rootfsMountPoint() throws IOException {
        Path rootfs = path.resolve("rootfs");
        Files.createDirectories(rootfs);
        return rootfs;
    }

    public void write(ContainerState state) {
        try {
            Path temporary = path.resolve("state.json.tmp");
            Files.writeString(temporary, state.toJson());
            Files.move(temporary, path.resolve("state.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LaunchException("writing " + path.resolve("state.json") + ": " + e.getMessage(), e);
        }
    }

    public static ContainerState read(Path root, String id) {
        Path state = root.resolve(id).resolve("state.json");
        try {
            return Reader.JSON.readValue(state.toFile(), ContainerState.class);
        } catch (IOException e) {
            throw new LaunchException("container " + id + ": no state at " + state + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public void close() {
        try {
            deleteTree(path);
        } catch (IOException e) {
            System.err.println("bulwark: warning: could not remove " + path + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
