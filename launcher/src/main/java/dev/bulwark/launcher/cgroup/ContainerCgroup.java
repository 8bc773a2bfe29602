package dev.bulwark.launcher.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** A container's cgroup, created by {@link CgroupPlan#create()} or found again by its path. */
public final class ContainerCgroup {
    private static final System.Logger LOG = System.getLogger(ContainerCgroup.class.getName());
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
     * this host's cgroup v2 hierarchy, not the launcher's own cgroup or an ancestor of it, and every process
     * in it and in the cgroups below it passes {@code isContainerProcess} (the caller checks the container's
     * user namespace). Child cgroups are the container's own when it could write cgroupfs: they are part of
     * it, killed and removed with it. Anything else is refused: nothing is killed or removed.
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
        for (long pid : found.get().subtreePids()) {
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

    /** The PIDs in the cgroup and in every cgroup below it (which the container may have created). */
    public Set<Long> subtreePids() throws CgroupException {
        return CgroupSubtree.pids(dir);
    }

    /**
     * Freezes ({@code true}) or thaws the cgroup and its descendants through the core file cgroup.freeze
     * (cgroup v2, Linux 5.2+; no controller needed), then waits until cgroup.events reports {@code frozen 1}
     * (or 0), polling for at most {@code timeoutMillis}. A freeze that does not complete in time is undone.
     */
    public void freeze(boolean frozen, long timeoutMillis) throws CgroupException {
        Path freezeFile = dir.resolve("cgroup.freeze");
        if (!Files.exists(freezeFile)) {
            throw new CgroupException(dir + " has no cgroup.freeze (the cgroup v2 freezer needs Linux 5.2 or later)");
        }
        try {
            CgroupFiles.write(freezeFile, frozen ? "1" : "0");
        } catch (IOException e) {
            throw new CgroupException("cannot " + (frozen ? "freeze " : "thaw ") + dir + ": writing " + freezeFile + ": "
                    + CgroupFiles.reason(e), e);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (isFrozen() != frozen) {
            if (System.nanoTime() > deadline) {
                if (frozen) {
                    try {
                        CgroupFiles.write(freezeFile, "0");
                    } catch (IOException e) {
                        throw new CgroupException("cannot thaw " + dir + " after a freeze that did not complete: "
                                + CgroupFiles.reason(e), e);
                    }
                }
                throw new CgroupException(dir + ": cgroup.events did not report frozen " + (frozen ? 1 : 0) + " within "
                        + timeoutMillis + " ms" + (frozen ? "; thawed again" : ""));
            }
            sleep();
        }
    }

    /** Whether cgroup.events reports the cgroup frozen (every process in it stopped by the freezer). */
    public boolean isFrozen() throws CgroupException {
        return CgroupEvents.readIfPresent(dir.resolve("cgroup.events")).getOrDefault("frozen", 0L) == 1;
    }

    /**
     * Writes new limits into this existing cgroup: the same translation from OCI resources to cgroup v2
     * files as create ({@link ResourceTranslator#translate}). Every file is checked before the first write, so a
     * limit this cgroup cannot take (its controller is not enabled here) changes nothing and is named. A write the
     * kernel refuses (EBUSY: memory.max below the usage; EINVAL: a cpuset it cannot have) puts the files written
     * before it back to the values read before the first write (best effort: a file that cannot be put back is
     * logged).
     *
     * @return the writes done, in order
     */
    public java.util.List<CgroupWrite> update(ResourceTranslator.Translation translation) throws CgroupException {
        java.util.List<CgroupWrite> effective = new java.util.ArrayList<>();
        for (CgroupWrite w : translation.writes()) {
            CgroupWrite chosen = !Files.exists(dir.resolve(w.file())) && w.fallback().isPresent() ? w.fallback().get() : w;
            if (!Files.exists(dir.resolve(chosen.file()))) {
                throw new CgroupException(chosen.field() + ": cannot be applied here: " + dir + " has no " + chosen.file()
                        + chosen.controller().map(c -> " (the " + c + " controller is not enabled for it; on a hybrid host"
                        + " the controllers belong to cgroup v1)").orElse(""));
            }
            effective.add(chosen);
        }
        java.util.Map<String, String> before = new java.util.LinkedHashMap<>();
        for (CgroupWrite w : effective) {
            if (!before.containsKey(w.file())) {
                Path file = dir.resolve(w.file());
                try {
                    before.put(w.file(), CgroupFiles.read(file));
                } catch (IOException e) { // a write-only file (memory.reclaim) has no old value to put back
                    before.put(w.file(), null);
                }
            }
        }
        java.util.List<String> written = new java.util.ArrayList<>();
        for (CgroupWrite w : effective) {
            Path file = dir.resolve(w.file());
            try {
                CgroupFiles.write(file, w.value());
                if (!written.contains(w.file())) {
                    written.add(w.file());
                }
            } catch (IOException e) {
                String restored = restore(written, before);
                throw new CgroupException(w.field() + ": writing \"" + w.value() + "\" to " + file + ": "
                        + CgroupFiles.reason(e) + restored, e);
            }
        }
        return effective;
    }

    /** Puts {@code files} back to their old values, last written first; what the refusal adds about it. */
    private String restore(java.util.List<String> files, java.util.Map<String, String> before) {
        int failed = 0;
        for (int i = files.size() - 1; i >= 0; i--) {
            Path file = dir.resolve(files.get(i));
            if (before.get(files.get(i)) == null) {
                continue; // write-only: nothing to put back
            }
            // A file read as several lines (io.max: one per device) is written back one line at a time
            for (String line : before.get(files.get(i)).strip().split("\n")) {
                try {
                    CgroupFiles.write(file, line.isEmpty() ? "\n" : line);
                } catch (IOException e) {
                    failed++;
                    LOG.log(System.Logger.Level.WARNING, "could not put " + file + " back to \"" + line + "\": "
                            + CgroupFiles.reason(e));
                }
            }
        }
        if (files.isEmpty()) {
            return "; nothing was changed";
        }
        return failed == 0 ? "; the " + files.size() + " file(s) written before it were put back"
                : "; " + failed + " of the values written before it could not be put back (see the warnings)";
    }

    /** A single-value interface file ("max" as -1); empty when the file does not exist here. */
    public java.util.OptionalLong readValue(String file) throws CgroupException {
        Path path = dir.resolve(file);
        if (!Files.exists(path)) {
            return java.util.OptionalLong.empty();
        }
        try {
            return java.util.OptionalLong.of(FlatKeyed.parseSingle(CgroupFiles.read(path)));
        } catch (IOException e) {
            throw new CgroupException("cannot read " + path + ": " + CgroupFiles.reason(e), e);
        } catch (NumberFormatException e) {
            throw new CgroupException("cannot parse " + path + ": " + e.getMessage(), e);
        }
    }

    /** An interface file's text, stripped ("max 100000" for cpu.max); empty when the file does not exist here. */
    public Optional<String> readText(String file) throws CgroupException {
        Path path = dir.resolve(file);
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try {
            return Optional.of(CgroupFiles.read(path).strip());
        } catch (IOException e) {
            throw new CgroupException("cannot read " + path + ": " + CgroupFiles.reason(e), e);
        }
    }

    /** A flat-keyed interface file (memory.stat, cpu.stat, memory.events); empty when it does not exist here. */
    public java.util.Map<String, Long> readKeyed(String file) throws CgroupException {
        return CgroupEvents.readIfPresent(dir.resolve(file));
    }

    /** A nested-keyed file such as io.stat ("MAJ:MIN key=value ..."); empty when it does not exist here. */
    public java.util.Map<String, java.util.Map<String, Long>> readNested(String file) throws CgroupException {
        Path path = dir.resolve(file);
        if (!Files.exists(path)) {
            return java.util.Map.of();
        }
        try {
            return FlatKeyed.parseNested(CgroupFiles.read(path));
        } catch (IOException e) {
            throw new CgroupException("cannot read " + path + ": " + CgroupFiles.reason(e), e);
        } catch (NumberFormatException e) {
            throw new CgroupException("cannot parse " + path + ": " + e.getMessage(), e);
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
            Set<Long> pids = subtreePids();
            if (pids.isEmpty()) {
                return;
            }
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            sleep();
        }
        throw new CgroupException("processes of " + dir + " survive SIGKILL: " + subtreePids());
    }

    /**
     * Removes the cgroup and every cgroup below it (children first) once their processes have been
     * reaped; EBUSY, while exiting tasks are still being torn down, is retried for about two seconds.
     */
    public void remove() throws CgroupException {
        CgroupSubtree.remove(dir);
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
