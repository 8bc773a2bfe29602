package dev.bulwark.launcher.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** A container's cgroup, created by {@link CgroupPlan#create()} or found again by its path. */
public final class ContainerCgroup {
    private static final int REMOVE_ATTEMPTS = 50;
    private static final long REMOVE_RETRY_MILLIS = 20;

    private final Path dir;

    ContainerCgroup(Path dir) {
        this.dir = dir;
    }

    /** The cgroup of a container, by the directory the launcher recorded in its state; empty if it is gone. */
    public static Optional<ContainerCgroup> find(Path cgroupDir) {
        return Files.isRegularFile(cgroupDir.resolve("cgroup.procs"))
                ? Optional.of(new ContainerCgroup(cgroupDir)) : Optional.empty();
    }

    /**
     * The cgroup a container's state.json names, found again for killing and removal, but only if it
     * is one Bulwark places for that container: a normalized path in this host's cgroup v2 hierarchy
     * whose last component is {@code ID} (root: {@code /bulwark/ID}) or {@code bulwark-ID} (rootless),
     * and which is neither the launcher's own cgroup nor an ancestor of it. Anything else (a state file
     * naming {@code /sys/fs/cgroup/system.slice}, say) is refused: nothing is killed or removed.
     * Empty when the cgroup is gone or the host has no v2 hierarchy.
     */
    public static Optional<ContainerCgroup> findRecorded(String recorded, String containerId) throws CgroupException {
        Optional<CgroupHost> host = hostChecking(recorded);
        if (host.isEmpty()) {
            return Optional.empty();
        }
        Path dir = requireOwn(host.get(), recorded, containerId);
        return find(dir);
    }

    private static Optional<CgroupHost> hostChecking(String recorded) throws CgroupException {
        try {
            return CgroupHost.detect();
        } catch (IOException e) {
            throw new CgroupException("cannot read /proc/self/mountinfo to check the recorded cgroup " + recorded, e);
        }
    }

    /**
     * The cgroup a created container's config placed with {@code linux.cgroupsPath} (so not named after
     * its id), found again for {@code delete}: accepted only if it is a normalized path strictly inside
     * this host's cgroup v2 hierarchy, not the launcher's own cgroup or an ancestor of it, with no child
     * cgroup, and every process in it passes {@code isContainerProcess} (the caller checks the
     * container's user namespace). Anything else is refused: nothing is killed or removed.
     */
    public static Optional<ContainerCgroup> findConfigured(String recorded, java.util.function.LongPredicate isContainerProcess)
            throws CgroupException {
        Optional<CgroupHost> host = hostChecking(recorded);
        if (host.isEmpty()) {
            return Optional.empty();
        }
        String refusal = "the recorded cgroup \"" + recorded + "\" (linux.cgroupsPath) ";
        Path dir = Path.of(recorded);
        if (!dir.isAbsolute() || !dir.normalize().equals(dir) || !dir.startsWith(host.get().v2Root())
                || dir.equals(host.get().v2Root()) || host.get().dirOf(host.get().ownCgroup()).startsWith(dir)) {
            throw new CgroupException(refusal + "is not a container's cgroup in " + host.get().v2Root() + "; left alone");
        }
        Optional<ContainerCgroup> found = find(dir);
        if (found.isEmpty()) {
            return found;
        }
        try (var entries = Files.list(dir)) {
            if (entries.anyMatch(Files::isDirectory)) {
                throw new CgroupException(refusal + "has child cgroups; left alone");
            }
        } catch (IOException e) {
            throw new CgroupException("cannot list " + dir + ": " + CgroupFiles.reason(e), e);
        }
        for (long pid : found.get().pids()) {
            if (!isContainerProcess.test(pid)) {
                throw new CgroupException(refusal + "holds process " + pid + ", which is not the container's; left alone");
            }
        }
        return found;
    }

    /** The check of {@link #findRecorded}, on a given hierarchy. */
    static Path requireOwn(CgroupHost host, String recorded, String containerId) throws CgroupException {
        String refusal = "the recorded cgroup \"" + recorded + "\" is not one Bulwark places for container "
                + containerId + " (a directory named " + containerId + " or bulwark-" + containerId + " under "
                + host.v2Root() + ")";
        Path dir = Path.of(recorded);
        if (!dir.isAbsolute() || !dir.normalize().equals(dir) || recorded.contains("/./") || recorded.contains("/../")
                || !dir.startsWith(host.v2Root()) || dir.equals(host.v2Root())) {
            throw new CgroupException(refusal + "; left alone");
        }
        String name = dir.getFileName().toString();
        if (!name.equals(containerId) && !name.equals("bulwark-" + containerId)) {
            throw new CgroupException(refusal + "; left alone");
        }
        Path own = host.dirOf(host.ownCgroup());
        if (own.startsWith(dir)) {
            throw new CgroupException(refusal + ": it holds this launcher; left alone");
        }
        return dir;
    }

    public Path path() {
        return dir;
    }

    /** Moves a process (all its threads) into the cgroup; the parent calls this before releasing the child. */
    public void addProcess(long pid) throws CgroupException {
        Path procs = dir.resolve("cgroup.procs");
        try {
            CgroupFiles.write(procs, Long.toString(pid));
        } catch (IOException e) {
            throw new CgroupException("cannot move process " + pid + " into " + dir + ": writing " + procs + ": "
                    + CgroupFiles.reason(e), e);
        }
    }

    /** The PIDs now in the cgroup (not its descendants). */
    public Set<Long> pids() throws CgroupException {
        try {
            return CgroupFiles.readPids(dir.resolve("cgroup.procs"));
        } catch (IOException e) {
            throw new CgroupException("cannot list the processes of " + dir + ": " + CgroupFiles.reason(e), e);
        }
    }

    /** Counters of memory.events and pids.events: OOM kills, limit hits. */
    public CgroupEvents events() throws CgroupException {
        return CgroupEvents.read(dir);
    }

    /** Usage counters for {@code bulwark stats}. */
    public CgroupStats stats() throws CgroupException {
        return CgroupStats.read(dir);
    }

    /**
     * SIGKILLs every process in the cgroup and its descendants: one write to cgroup.kill (Linux
     * 5.14+), which also catches processes forked meanwhile; on older kernels, a kill of each PID
     * listed in cgroup.procs, repeated until the list stays empty.
     */
    public void kill() throws CgroupException {
        Path killFile = dir.resolve("cgroup.kill");
        if (Files.exists(killFile)) {
            try {
                CgroupFiles.write(killFile, "1");
                return;
            } catch (IOException e) {
                throw new CgroupException("cannot kill the processes of " + dir + ": writing " + killFile + ": "
                        + CgroupFiles.reason(e), e);
            }
        }
        for (int round = 0; round < REMOVE_ATTEMPTS; round++) {
            Set<Long> pids = pids();
            if (pids.isEmpty()) {
                return;
            }
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            sleep();
        }
        throw new CgroupException("processes of " + dir + " survive SIGKILL: " + pids());
    }

    /**
     * Removes the cgroup once its processes have been reaped. The kernel answers EBUSY while
     * exiting tasks are still being torn down, so this retries for about a second.
     */
    public void remove() throws CgroupException {
        IOException last = null;
        for (int attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                last = e;
                sleep();
            }
        }
        throw new CgroupException("cannot remove the cgroup " + dir + ": " + CgroupFiles.reason(last)
                + " (processes left: " + describePids() + ")", last);
    }

    private String describePids() {
        try {
            return pids().toString();
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

    @Override
    public String toString() {
        return dir.toString();
    }
}
