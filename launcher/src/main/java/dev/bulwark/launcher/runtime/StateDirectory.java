package dev.bulwark.launcher.runtime;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.UnixSockets;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * A container's directory under the {@link StateRoot} ({@code /run/bulwark/<id>} as root,
 * {@code $XDG_RUNTIME_DIR/bulwark/<id>} or {@code /tmp/bulwark-<uid>/<id>} rootless): holds
 * {@code state.json}, which lets the container be inspected from outside, and the mount point of
 * the built-in root. Creating it claims the id; it is removed when the container is gone.
 *
 * <p>Kill safety: the directory gets a minimal {@code state.json} (status creating, the launcher's pid
 * and start time) right after it is made, and every later state is written to a temporary file and
 * renamed over it, so a launcher killed at any point leaves a directory that {@code list} shows as
 * stopped and {@code delete} removes. A directory without state.json (only a launcher killed between
 * mkdir and that first write leaves one) counts as stopped once it is {@link #CLAIM_GRACE_SECONDS} old.
 *
 * <p>Every access is relative to the root's descriptor and this directory's, with O_NOFOLLOW; removal
 * touches only the entries Bulwark makes here and refuses a directory holding anything else.
 */
public final class StateDirectory implements AutoCloseable {
    static final String STATE_FILE = "state.json";
    private static final String STATE_TEMPORARY = "state.json.tmp";
    private static final String ROOTFS = "rootfs";
    static final String EXEC_FIFO = "exec.fifo";
    /** A created container's hooks (only when it has some): start and delete run them from fresh processes. */
    static final String HOOKS_FILE = "hooks.json";
    /** The socket a {@link NotifyRelay} serves, bind-mounted into the container (only while NOTIFY_SOCKET is relayed). */
    static final String NOTIFY_SOCKET = "notify.sock";
    /** The daemon pasta of a created container with pasta networking: "PID STARTTIME", for delete to end it. */
    static final String PASTA_FILE = "pasta.pid";
    /** The config the init was compiled from ({@link ExecConfig}): {@code exec} gives a new process the same confinement. */
    static final String EXEC_CONFIG_FILE = "exec-config.json";
    private static final Set<String> OWN_ENTRIES = Set.of(STATE_FILE, STATE_TEMPORARY, ROOTFS, EXEC_FIFO, HOOKS_FILE, NOTIFY_SOCKET,
            ContainerLog.FILE, PASTA_FILE, EXEC_CONFIG_FILE);
    private static final int S_IFSOCK = 0140000;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final String TOMBSTONE_PREFIX = "~removing-"; // "~" is never in a container id: no id can pose as one
    static final long CLAIM_GRACE_SECONDS = 10;
    private static final long LOCK_WAIT_SECONDS = 30;
    private static final int DIRECTORY_FLAGS = OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW
            | OpenFlags.O_CLOEXEC;

    /** For reading state.json only (writing is by hand, see {@link ContainerState#toJson()}). */
    private static final class Reader {
        static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private final StateRoot root;
    private final ContainerId id;
    private final int fd;
    private boolean kept;

    private StateDirectory(StateRoot root, ContainerId id, int fd) {
        this.root = root;
        this.id = id;
        this.fd = fd;
    }

    /**
     * Claims {@code id} and records {@code claimed} in it at once: fails if a container of that id is
     * running or being created; reclaims the directory of one whose launcher was killed.
     */
    public static StateDirectory claim(StateRoot root, ContainerId id, ContainerState claimed) {
        try {
            DirectoryCalls.mkdirat(root.fd(), id.value(), StateRoot.DIRECTORY_MODE);
        } catch (SyscallException e) {
            if (e.errno() != Errno.EEXIST) {
                throw new LaunchException("--id " + id + ": cannot create its state directory in " + root.path() + ": "
                        + e.getMessage(), e);
            }
            if (!reclaimIfStale(root, id)) {
                boolean stopped = find(root, id).map(ContainerState::effectiveStatus).filter("stopped"::equals).isPresent();
                throw new LaunchException("--id " + id + ": " + (stopped
                        ? "a stopped container with this id is kept until deleted (bulwark delete " + id + ")"
                        : "a container with this id is running or being created") + " (" + root.path().resolve(id.value()) + ")");
            }
            try {
                DirectoryCalls.mkdirat(root.fd(), id.value(), StateRoot.DIRECTORY_MODE);
            } catch (SyscallException again) {
                throw new LaunchException("--id " + id + ": another launcher claimed this id meanwhile", again);
            }
        }
        StateDirectory directory = new StateDirectory(root, id, DirectoryCalls.openat(root.fd(), id.value(), DIRECTORY_FLAGS, 0));
        try {
            DirectoryCalls.flock(directory.fd, DirectoryCalls.LOCK_EX | DirectoryCalls.LOCK_NB); // fresh: nobody else holds it
            directory.write(claimed);
        } catch (RuntimeException e) {
            directory.close();
            throw e;
        }
        return directory;
    }

    /** A directory whose launcher and container are gone is removed; false if it is in use (or another launcher won the race). */
    private static boolean reclaimIfStale(StateRoot root, ContainerId id) {
        Optional<ContainerState> recorded = find(root, id);
        if (recorded.isEmpty()) {
            return true; // removed meanwhile
        }
        if (!recorded.get().effectiveStatus().equals("stopped") || recorded.get().outlivesLauncher()) {
            return false; // a created container's state stays, stopped or not, until delete
        }
        return removeLeftovers(root, id, recorded.get());
    }

    /**
     * The state recorded for {@code id}, with {@link ContainerState#effectiveStatus()} telling whether
     * it still runs; empty when there is no such container.
     */
    public static Optional<ContainerState> find(StateRoot root, ContainerId id) {
        int dir;
        try {
            dir = DirectoryCalls.openat(root.fd(), id.value(), DIRECTORY_FLAGS, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return Optional.empty();
            }
            if (e.errno() == Errno.ELOOP || e.errno() == Errno.ENOTDIR) {
                throw new LaunchException("container " + id + ": " + root.path().resolve(id.value())
                        + " is not a state directory (a symlink or a file)");
            }
            throw new LaunchException("container " + id + ": " + e.getMessage(), e);
        }
        try {
            Optional<byte[]> json = readFile(dir, STATE_FILE, root.path().resolve(id.value()).resolve(STATE_FILE));
            if (json.isEmpty()) {
                DirectoryCalls.FileStatus status = DirectoryCalls.statx(dir, "", DirectoryCalls.AT_EMPTY_PATH);
                boolean young = Instant.now().getEpochSecond() - status.modifiedSeconds() < CLAIM_GRACE_SECONDS;
                return Optional.of(ContainerState.withoutRecord(id.value(), young));
            }
            try {
                return Optional.of(Reader.JSON.readValue(json.get(), ContainerState.class));
            } catch (IOException e) {
                throw new LaunchException("container " + id + ": " + root.path().resolve(id.value()).resolve(STATE_FILE)
                        + " cannot be read: " + e.getMessage().lines().findFirst().orElse(""), e);
            }
        } finally {
            Syscalls.close(dir);
        }
    }

    /** The state of {@code id}, or a one-line "does not exist" error (exit status 1). */
    public static ContainerState read(StateRoot root, ContainerId id) {
        return find(root, id).orElseThrow(() -> new NoSuchContainerException(id));
    }

    /**
     * {@code bulwark delete}: kills what is left of a container whose launcher is gone (its init, if
     * still alive, and its cgroup) and removes its state. Refused while the launcher runs.
     */
    public static void delete(StateRoot root, ContainerId id) {
        ContainerState state = read(root, id);
        if (state.launcherAlive()) {
            throw new LaunchException("container " + id + ": its launcher (pid " + state.launcherPid()
                    + ") is running; send it SIGTERM or SIGKILL instead");
        }
        if (state.launcherPid() == 0 && state.status().equals("creating")) {
            throw new LaunchException("container " + id + ": being created (no state yet); try again in "
                    + CLAIM_GRACE_SECONDS + " s");
        }
        if (!removeLeftovers(root, id, state)) {
            throw new NoSuchContainerException(id);
        }
    }

    /**
     * Removes what a killed launcher left: its container's init and cgroup (killing anything still in
     * them) and its state directory. The directory is first renamed atomically to a tombstone, so of
     * two processes reclaiming the same id only one goes on; false for the one that lost.
     */
    private static boolean removeLeftovers(StateRoot root, ContainerId id, ContainerState recorded) {
        Optional<ContainerCgroup> cgroup = Leftovers.recordedCgroup(id, recorded);
        java.util.concurrent.atomic.AtomicReference<Optional<ProcessIdentity>> pasta = new java.util.concurrent.atomic.AtomicReference<>();
        withOwnEntries(root, id.value(), root.path().resolve(id.value()), // refuse before touching anything
                (dir, entries) -> pasta.set(readPasta(dir, root.path().resolve(id.value()).resolve(PASTA_FILE))));
        String tombstone = TOMBSTONE_PREFIX + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try {
            DirectoryCalls.renameat2(root.fd(), id.value(), root.fd(), tombstone, DirectoryCalls.RENAME_NOREPLACE);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw new LaunchException("container " + id + ": " + e.getMessage(), e);
        }
        Leftovers.kill(recorded, cgroup);
        if (pasta.get() != null) {
            pasta.get().ifPresent(PastaNetwork::end); // after the container: its network stays up until it is gone
        }
        removeDirectory(root, tombstone, root.path().resolve(id.value()));
        sweepTombstones(root);
        return true;
    }

    /** Tombstones of a remover that was killed half-way: finished once their remover is gone. */
    private static void sweepTombstones(StateRoot root) {
        for (String name : root.entryNames()) {
            if (!name.startsWith(TOMBSTONE_PREFIX)) {
                continue;
            }
            String pid = name.substring(TOMBSTONE_PREFIX.length()).split("-")[0];
            boolean removerAlive = pid.matches("\\d{1,9}") && ProcessHandle.of(Long.parseLong(pid)).isPresent();
            if (!removerAlive) {
                try {
                    removeDirectory(root, name, root.path().resolve(name));
                } catch (LaunchException e) {
                    warn(e.getMessage());
                }
            }
        }
    }

    /**
     * Removes a state directory by its name under the root: its own entries (state files, the empty
     * rootfs mount point), then itself. Anything else in it means it is not (only) Bulwark's: refused.
     */
    private static void removeDirectory(StateRoot root, String name, Path shown) {
        withOwnEntries(root, name, shown, (dir, entries) -> {
            for (DirectoryCalls.Entry entry : entries) {
                DirectoryCalls.unlinkat(dir, entry.name(), entry.name().equals(ROOTFS) ? OpenFlags.AT_REMOVEDIR : 0);
            }
            DirectoryCalls.unlinkat(root.fd(), name, OpenFlags.AT_REMOVEDIR);
        });
    }

    /** What may be done to a state directory once its entries are checked to be Bulwark's own. */
    private interface EntryAction {
        void apply(int dirfd, java.util.List<DirectoryCalls.Entry> entries);
    }

    /**
     * Opens the directory {@code name} under the root (no symlink), checks that it holds only what
     * Bulwark makes there (state files, the rootfs mount point directory), and runs {@code action};
     * refuses (one line) anything else. Nothing when the directory does not exist.
     */
    private static void withOwnEntries(StateRoot root, String name, Path shown, EntryAction action) {
        int dir;
        try {
            dir = DirectoryCalls.openat(root.fd(), name, DIRECTORY_FLAGS, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return;
            }
            throw new LaunchException("removing " + shown + ": " + e.getMessage(), e);
        }
        try {
            int listing = DirectoryCalls.openat(dir, ".", DIRECTORY_FLAGS, 0);
            java.util.List<DirectoryCalls.Entry> entries;
            try {
                entries = DirectoryCalls.entries(listing);
            } finally {
                Syscalls.close(listing);
            }
            for (DirectoryCalls.Entry entry : entries) {
                if (!OWN_ENTRIES.contains(entry.name())) {
                    throw new LaunchException("removing " + shown + ": it holds \"" + entry.name()
                            + "\", which Bulwark does not make; not a Bulwark state directory, left alone");
                }
                DirectoryCalls.FileStatus status = DirectoryCalls.statx(dir, entry.name(), OpenFlags.AT_SYMLINK_NOFOLLOW);
                boolean expectedType = entry.name().equals(ROOTFS) ? status.isDirectory()
                        : entry.name().equals(EXEC_FIFO) ? status.isFifo()
                        : entry.name().equals(NOTIFY_SOCKET) ? (status.mode() & DirectoryCalls.S_IFMT) == S_IFSOCK
                        : status.isRegularFile();
                if (!expectedType) {
                    throw new LaunchException("removing " + shown + ": \"" + entry.name() + "\" is not the kind of file "
                            + "Bulwark makes; not a Bulwark state directory, left alone");
                }
            }
            action.apply(dir, entries);
        } catch (SyscallException e) {
            throw new LaunchException("removing " + shown + ": " + e.getMessage(), e);
        } finally {
            Syscalls.close(dir);
        }
    }

    public ContainerId id() {
        return id;
    }

    /** This directory's descriptor, for the files made in it ({@link ContainerLog}). */
    int fd() {
        return fd;
    }

    /**
     * Opens the existing directory of {@code id} and takes its lock (flock on the directory, shared by
     * every verb on this id, held until {@link #release()}): verbs on one container run one at a time.
     */
    public static StateDirectory lock(StateRoot root, ContainerId id) {
        int dir;
        try {
            dir = DirectoryCalls.openat(root.fd(), id.value(), DIRECTORY_FLAGS, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                throw new NoSuchContainerException(id);
            }
            throw new LaunchException("container " + id + ": " + e.getMessage(), e);
        }
        StateDirectory directory = new StateDirectory(root, id, dir);
        directory.kept = true;
        long deadline = System.nanoTime() + LOCK_WAIT_SECONDS * 1_000_000_000L;
        while (true) {
            try {
                DirectoryCalls.flock(dir, DirectoryCalls.LOCK_EX | DirectoryCalls.LOCK_NB);
                return directory;
            } catch (SyscallException e) {
                if (e.errno() != Errno.EAGAIN || System.nanoTime() > deadline) {
                    directory.release();
                    throw new LaunchException("container " + id + ": " + (e.errno() == Errno.EAGAIN
                            ? "busy (another bulwark process holds its lock for more than " + LOCK_WAIT_SECONDS + " s)"
                            : "cannot lock its state directory: " + e.getMessage()), 1, e);
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                directory.release();
                throw new LaunchException("container " + id + ": interrupted while waiting for its lock");
            }
        }
    }

    /** Lets other verbs at this container while the launcher keeps the directory (run waits for its container). */
    public void unlock() {
        DirectoryCalls.flock(fd, DirectoryCalls.LOCK_UN);
    }

    /** The recorded state, read through this (locked) directory. */
    public ContainerState read() {
        return find(root, id).orElseThrow(() -> new NoSuchContainerException(id));
    }

    /**
     * Makes exec.fifo (mode 0600: only the container's owner may start it; the init never opens it by
     * name, it inherits this descriptor) and opens it read-write for the child to inherit: a read-write
     * fifo never blocks on open, and the child's read blocks until start writes.
     */
    public int makeExecFifo() {
        try {
            DirectoryCalls.mkfifoat(fd, EXEC_FIFO, 0600);
            return DirectoryCalls.openat(fd, EXEC_FIFO, OpenFlags.O_RDWR | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            throw new LaunchException("state directory " + path() + ": creating " + EXEC_FIFO + ": " + e.getMessage(), e);
        }
    }

    /**
     * Lets a created container's init go on to execve: writes one byte to exec.fifo without blocking
     * (ENXIO: nobody reads it, the init is gone), then removes the fifo. False when the init no longer waits.
     */
    public boolean releaseExecFifo() {
        int fifo;
        try {
            fifo = DirectoryCalls.openat(fd, EXEC_FIFO, OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK | OpenFlags.O_NOFOLLOW
                    | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENXIO || e.errno() == Errno.ENOENT) {
                return false;
            }
            throw new LaunchException("container " + id + ": opening " + EXEC_FIFO + ": " + e.getMessage(), e);
        }
        try {
            Syscalls.write(fifo, new byte[] {0});
        } catch (SyscallException e) {
            if (e.errno() != Errno.EPIPE) {
                throw new LaunchException("container " + id + ": writing " + EXEC_FIFO + ": " + e.getMessage(), e);
            }
            return false;
        } finally {
            Syscalls.close(fifo);
        }
        try {
            DirectoryCalls.unlinkat(fd, EXEC_FIFO, 0);
        } catch (SyscallException e) {
            warn("container " + id + ": could not remove " + EXEC_FIFO + ": " + e.getMessage());
        }
        return true;
    }

    /** Whether exec.fifo is still there: the init waits for start (a created container, paused or not). */
    public boolean awaitsStart() {
        try {
            DirectoryCalls.statx(fd, EXEC_FIFO, AT_SYMLINK_NOFOLLOW);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw new LaunchException("container " + id + ": " + EXEC_FIFO + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code pid} to {@code file} atomically (a temporary file here, renamed over it), as --pid-file asks. */
    public void writePidFile(Path file, int pid) {
        Path absolute = file.toAbsolutePath();
        Path temporary = absolute.resolveSibling("." + absolute.getFileName() + ".bulwark-tmp");
        try {
            java.nio.file.Files.writeString(temporary, Integer.toString(pid));
            java.nio.file.Files.move(temporary, absolute, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new LaunchException("--pid-file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Keeps the directory when closed (a created container lives on); the lock goes with the descriptor. */
    public void keep() {
        kept = true;
    }

    /** Removes this container's state and what is left of it (init, cgroup): for delete. */
    public void removeWithLeftovers(ContainerState recorded) {
        if (!removeLeftovers(root, id, recorded)) {
            throw new NoSuchContainerException(id);
        }
    }

    /** Closes the descriptor (and so the lock) without removing anything. */
    public void release() {
        kept = true;
        Syscalls.close(fd);
    }

    public Path path() {
        return root.path().resolve(id.value());
    }

    /**
     * Binds the datagram socket {@code socket} at notify.sock here, through this directory's fd (a state
     * path may be longer than a sockaddr holds), writable by every uid: the container's users are
     * unprivileged host ids that only reach it through its bind mount (the directory is 0711). Returns its path.
     */
    public Path bindNotifySocket(int socket) {
        try {
            UnixSockets.bind(socket, "/proc/self/fd/" + fd + "/" + NOTIFY_SOCKET);
            DirectoryCalls.fchmodat(fd, NOTIFY_SOCKET, 0666);
        } catch (SyscallException e) {
            throw new LaunchException("state directory " + path() + ": binding " + NOTIFY_SOCKET + " (NOTIFY_SOCKET): "
                    + e.getMessage(), e);
        }
        return path().resolve(NOTIFY_SOCKET);
    }

    /** Removes notify.sock, once its relay has stopped. */
    public void removeNotifySocket() {
        try {
            DirectoryCalls.unlinkat(fd, NOTIFY_SOCKET, 0);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ENOENT) {
                warn("container " + id + ": could not remove " + NOTIFY_SOCKET + ": " + e.getMessage());
            }
        }
    }

    /** The (empty) directory the built-in root is mounted on in the container's mount namespace. */
    public Path rootfsMountPoint() {
        try {
            DirectoryCalls.mkdirat(fd, ROOTFS, StateRoot.DIRECTORY_MODE);
        } catch (SyscallException e) {
            if (e.errno() != Errno.EEXIST) {
                throw new LaunchException("state directory " + path() + ": " + e.getMessage(), e);
            }
        }
        return path().resolve(ROOTFS);
    }

    /** Records the daemon pasta of a created container ({@link PastaNetwork#detachedIdentity()}) for delete. */
    public void recordPasta(ProcessIdentity pasta) {
        byte[] line = (pasta.pid() + " " + pasta.startTime() + "\n").getBytes(StandardCharsets.US_ASCII);
        writeOnce(PASTA_FILE, line);
    }

    /**
     * The pasta {@link #recordPasta} recorded in the directory {@code dir}; empty without one. Only a file this
     * user alone can have written names a process to kill; anything else is refused (one line).
     */
    private static Optional<ProcessIdentity> readPasta(int dir, Path shown) {
        Optional<byte[]> line = readFile(dir, PASTA_FILE, shown,
                (file, path) -> requireOwnPrivateFile(file, path, "the process it names is not killed"));
        if (line.isEmpty()) {
            return Optional.empty();
        }
        String[] fields = new String(line.get(), StandardCharsets.US_ASCII).strip().split(" ");
        if (fields.length != 2 || !fields[0].matches("[1-9][0-9]{0,9}") || !fields[1].matches("[1-9][0-9]{0,18}")) {
            throw new LaunchException(shown + ": expected \"PID STARTTIME\"; not a Bulwark state file, left alone");
        }
        return Optional.of(new ProcessIdentity(Integer.parseInt(fields[0]), Long.parseLong(fields[1])));
    }

    /** Records the container's hooks for start and delete (written once, while the id is claimed). */
    public void writeHooks(dev.bulwark.config.model.Hooks hooks) {
        byte[] json;
        try {
            json = Reader.JSON.writeValueAsBytes(hooks);
        } catch (IOException e) {
            throw new LaunchException("hooks: cannot be recorded: " + e.getMessage(), e);
        }
        writeOnce(HOOKS_FILE, json);
    }

    /** The hooks {@link #writeHooks} recorded; empty for a container without (or a {@code run} container). */
    public Optional<dev.bulwark.config.model.Hooks> readHooks() {
        // start and delete run the commands it lists: only a file this user alone can have written
        Optional<byte[]> json = readFile(fd, HOOKS_FILE, path().resolve(HOOKS_FILE), StateDirectory::requireOwnPrivateFile);
        if (json.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Reader.JSON.readValue(json.get(), dev.bulwark.config.model.Hooks.class));
        } catch (IOException e) {
            throw new LaunchException("container " + id + ": " + path().resolve(HOOKS_FILE) + " cannot be read: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** Records the config the init runs under, for {@code exec} (written once, while the id is claimed). */
    public void writeExecConfig(byte[] json) {
        writeOnce(EXEC_CONFIG_FILE, json);
    }

    /** What {@link #writeExecConfig} recorded (only a private file of this user); empty for a container without one. */
    public Optional<byte[]> readExecConfig() {
        return readFile(fd, EXEC_CONFIG_FILE, path().resolve(EXEC_CONFIG_FILE), StateDirectory::requireOwnPrivateFile);
    }

    /** Writes {@code name}, a new private (0600) file of this directory, once: O_EXCL through the directory's fd. */
    private void writeOnce(String name, byte[] bytes) {
        try {
            int file = DirectoryCalls.openat(fd, name, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL
                    | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0600);
            try {
                Syscalls.write(file, bytes);
            } finally {
                Syscalls.close(file);
            }
        } catch (SyscallException e) {
            throw new LaunchException("writing " + path().resolve(name) + ": " + e.getMessage(), e);
        }
    }

    /** Replaces state.json atomically (a temporary file renamed over it). */
    public void write(ContainerState state) {
        byte[] json = state.toJson().getBytes(StandardCharsets.UTF_8);
        try {
            int file = DirectoryCalls.openat(fd, STATE_TEMPORARY, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC
                    | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0644);
            try {
                Syscalls.write(file, json);
            } finally {
                Syscalls.close(file);
            }
            DirectoryCalls.renameat2(fd, STATE_TEMPORARY, fd, STATE_FILE, 0);
        } catch (SyscallException e) {
            throw new LaunchException("writing " + path().resolve(STATE_FILE) + ": " + e.getMessage(), e);
        }
    }

    private static Optional<byte[]> readFile(int dir, String name, Path shown) {
        return readFile(dir, name, shown, (file, path) -> { });
    }

    /** Checks the opened file (by its descriptor, so the file checked is the file read) or throws naming it. */
    private interface OpenedFileCheck {
        void check(int file, Path shown);
    }

    /** A regular file of the effective user with mode 0600, as {@link #writeHooks} creates it. */
    private static void requireOwnPrivateFile(int file, Path shown) {
        requireOwnPrivateFile(file, shown, "its commands are not run");
    }

    private static void requireOwnPrivateFile(int file, Path shown, String consequence) {
        DirectoryCalls.FileStatus status = DirectoryCalls.statx(file, "", DirectoryCalls.AT_EMPTY_PATH);
        int euid = Syscalls.geteuid();
        int permissions = status.mode() & 07777;
        if (!status.isRegularFile() || status.uid() != euid || permissions != 0600) {
            throw new LaunchException(shown + " is not a regular file of uid " + euid + " with mode 0600 (" + (status.isRegularFile()
                    ? "uid " + status.uid() + ", mode 0" + Integer.toOctalString(permissions) : "not a regular file")
                    + "); " + consequence);
        }
    }

    private static Optional<byte[]> readFile(int dir, String name, Path shown, OpenedFileCheck check) {
        int file;
        try {
            // O_NONBLOCK: a fifo put in its place must not block the open before the check refuses it
            file = DirectoryCalls.openat(dir, name, OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_NONBLOCK
                    | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return Optional.empty();
            }
            if (e.errno() == Errno.ELOOP) {
                throw new LaunchException(shown + " is a symlink; not a Bulwark state file, left alone");
            }
            throw new LaunchException("reading " + shown + ": " + e.getMessage(), e);
        }
        try {
            check.check(file, shown);
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            for (byte[] chunk = Syscalls.read(file, 65536); chunk.length > 0; chunk = Syscalls.read(file, 65536)) {
                content.writeBytes(chunk);
                if (content.size() > 1 << 20) {
                    throw new LaunchException(shown + " is larger than 1 MiB; not a Bulwark state file");
                }
            }
            return Optional.of(content.toByteArray());
        } finally {
            Syscalls.close(file);
        }
    }

    /** Removes the directory: the container is gone. */
    @Override
    public void close() {
        if (kept) {
            Syscalls.close(fd);
            return;
        }
        try {
            Syscalls.close(fd);
            removeDirectory(root, id.value(), path());
        } catch (RuntimeException e) {
            warn("could not remove " + path() + ": " + e.getMessage());
        }
    }

    /** Through the launcher's logger, as its other warnings. */
    static void warn(String message) {
        System.getLogger("dev.bulwark.launcher").log(System.Logger.Level.WARNING, message);
    }
}
