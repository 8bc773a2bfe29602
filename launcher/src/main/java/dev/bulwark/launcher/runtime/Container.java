package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.launcher.cgroup.ResourceTranslator;
import dev.bulwark.launcher.hooks.HookKind;
import dev.bulwark.launcher.hooks.HookRunner;
import dev.bulwark.nativ.constants.Signals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A container as the OCI verbs see it: whatever its state directory records, judged against the
 * processes that still run. Phases: creating (a launcher is setting it up), created (its init waits
 * on exec.fifo), running, stopped (its init is gone; the state stays until {@code delete} for a
 * container made by {@code create}). Each verb starts from a fresh process and reads the disk:
 * {@code create} and {@code run} are {@link ContainerRun}; the rest are here.
 */
public final class Container {
    /** runc's exit status for a verb that fails. */
    public static final int VERB_FAILED = 1;
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    /** How long start waits for a released init's execve before its poststart hooks run anyway. */
    private static final long EXEC_WAIT_NANOS = 2_000_000_000L;

    private final StateRoot root;
    private final ContainerId id;

    private Container(StateRoot root, ContainerId id) {
        this.root = root;
        this.id = id;
    }

    /** The container {@code id} under {@code root}; "does not exist" (exit 1) when it has no state directory. */
    public static Container load(StateRoot root, ContainerId id) {
        StateDirectory.read(root, id); // fails with the one-line "does not exist" when missing
        return new Container(root, id);
    }

    /** The recorded state with its current status. */
    public ContainerState state() {
        return StateDirectory.read(root, id).current();
    }

    /**
     * Lets a created container's init execve its workload; returns at once. Its startContainer hooks
     * run first, in its namespaces (one failing kills the container and fails start); its poststart
     * hooks after, once the lock is released (a failing one is a warning).
     */
    public void start() {
        HookRunner hooks;
        ContainerState running;
        try (StateDirectory directory = StateDirectory.lock(root, id)) {
            ContainerState recorded = directory.read();
            String status = recorded.effectiveStatus();
            if (!status.equals("created")) {
                throw new LaunchException("container " + id + ": cannot start a container that is " + status
                        + (status.equals("running") || status.equals("stopped") ? " (it was started already)" : ""),
                        VERB_FAILED, null);
            }
            hooks = new HookRunner(directory.readHooks().orElse(null));
            runStartContainerHooks(hooks, recorded);
            Optional<Path> setupImage = hooks.has(HookKind.POSTSTART) ? executable(recorded.pid()) : Optional.empty();
            if (!directory.releaseExecFifo()) {
                throw new LaunchException("container " + id + ": its init no longer waits on exec.fifo (it was killed?)",
                        VERB_FAILED, null);
            }
            running = recorded.withStatus("running");
            directory.write(running);
            setupImage.ifPresent(image -> awaitExec(recorded, image));
        }
        hooks.run(HookKind.POSTSTART, running.ociJson("running"), running.pid(), running::initAlive);
    }

    /** poststart runs "after the user-specified process is executed": once the init's image is no longer the launcher's copy. */
    private static void awaitExec(ContainerState init, Path setupImage) {
        long deadline = System.nanoTime() + EXEC_WAIT_NANOS;
        while (init.initAlive() && executable(init.pid()).equals(Optional.of(setupImage)) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** /proc/PID/exe; empty when it cannot be read (gone, or not ours to inspect). */
    private static Optional<Path> executable(int pid) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "exe")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** As runc: a failing startContainer hook fails start and kills the container (delete removes it). */
    private void runStartContainerHooks(HookRunner hooks, ContainerState recorded) {
        try {
            hooks.run(HookKind.START_CONTAINER, recorded.ociJson("created"), recorded.pid(), recorded::initAlive);
        } catch (LaunchException e) {
            Leftovers.signalInit(recorded, Signals.SIGKILL);
            throw new LaunchException("container " + id + ": " + e.getMessage(), VERB_FAILED, e);
        }
    }

    /** How long pause and resume wait for cgroup.events to report the freezer's change. */
    private static final long FREEZE_TIMEOUT_MILLIS = 10_000;

    /**
     * Freezes every process of a running container with the cgroup v2 freezer (its cgroup's
     * cgroup.freeze), as runc pause; the status is "paused" until {@link #resume}. Refused when the
     * container is neither created nor running (runc pauses a created one too) or has no cgroup of its own (freezing a shared one would stop others).
     */
    public void pause() {
        freeze(true);
    }

    /** Thaws a paused container (cgroup.freeze 0); refused unless it is paused. */
    public void resume() {
        freeze(false);
    }

    private void freeze(boolean pause) {
        try (StateDirectory directory = StateDirectory.lock(root, id)) {
            ContainerState recorded = directory.read();
            String status = recorded.effectiveStatus();
            if (pause && !status.equals("running") && !status.equals("created")) { // runc pauses a created one too
                throw new LaunchException("container " + id + ": cannot pause: it is not running (" + status + ")",
                        VERB_FAILED, null);
            }
            if (!pause && !status.equals("paused")) {
                throw new LaunchException("container " + id + ": cannot resume: it is not paused (" + status + ")",
                        VERB_FAILED, null);
            }
            ContainerCgroup cgroup = ownCgroup(recorded, pause ? "pause" : "resume");
            try {
                cgroup.freeze(pause, FREEZE_TIMEOUT_MILLIS);
            } catch (CgroupException e) {
                throw new LaunchException("container " + id + ": " + e.getMessage(), VERB_FAILED, e);
            }
            // as runc: a resumed container that was paused before start is created again (its init waits on exec.fifo)
            directory.write(recorded.withStatus(pause ? "paused" : directory.awaitsStart() ? "created" : "running"));
        }
    }

    /**
     * Writes new limits into a created, running or paused container's cgroup, as runc update: {@code resources}
     * holds only what changes, translated to cgroup v2 files as create does. As runc, a CPU quota without a period
     * (or the reverse) keeps the other half of cpu.max, and a memory+swap limit without a memory limit is taken
     * against the current memory.max. Nothing is written when one of the limits cannot be applied here;
     * a write the kernel refuses puts back the ones before it ({@link ContainerCgroup#update}).
     */
    public void update(LinuxResources resources) {
        try (StateDirectory directory = StateDirectory.lock(root, id)) {
            ContainerState recorded = directory.read();
            String status = recorded.effectiveStatus();
            if (!status.equals("created") && !status.equals("running") && !status.equals("paused")) {
                throw new LaunchException("container " + id + ": cannot update: it is not running (" + status + ")",
                        VERB_FAILED, null);
            }
            ContainerCgroup cgroup = ownCgroup(recorded, "update its resources");
            try {
                ResourceTranslator.Translation translation = ResourceTranslator.translate(withCurrentHalves(resources, cgroup));
                translation.warnings().forEach(w -> LOG.log(System.Logger.Level.WARNING, w));
                cgroup.update(translation);
            } catch (CgroupException e) {
                throw new LaunchException("container " + id + ": " + e.getMessage(), e);
            }
        }
    }

    /** The halves of cpu.max and the memory limit that {@code resources} leaves out, from the cgroup's files. */
    private static LinuxResources withCurrentHalves(LinuxResources resources, ContainerCgroup cgroup) throws CgroupException {
        LinuxResources merged = resources;
        LinuxCpu cpu = resources.cpu();
        if (cpu != null && (cpu.quota() == null) != (cpu.period() == null)) {
            Optional<String> cpuMax = cgroup.readText("cpu.max"); // "QUOTA|max PERIOD"
            if (cpuMax.isPresent()) {
                String[] current = cpuMax.get().split("\\s+");
                long quota = cpu.quota() != null ? cpu.quota() : current[0].equals("max") ? -1 : Long.parseLong(current[0]);
                long period = cpu.period() != null ? cpu.period() : Long.parseLong(current[1]);
                merged = merged.withCpu(new LinuxCpu(cpu.shares(), quota, cpu.burst(), period, cpu.realtimeRuntime(),
                        cpu.realtimePeriod(), cpu.cpus(), cpu.mems(), cpu.idle()));
            }
        }
        LinuxMemory memory = resources.memory();
        if (memory != null && memory.swap() != null && memory.limit() == null) {
            var limit = cgroup.readValue("memory.max");
            if (limit.isPresent()) {
                merged = merged.withMemory(new LinuxMemory(limit.getAsLong(), memory.reservation(), memory.swap(),
                        memory.kernel(), memory.kernelTCP(), memory.swappiness(), memory.disableOOMKiller(),
                        memory.useHierarchy(), memory.checkBeforeUpdate()));
            }
        }
        return merged;
    }

    /**
     * The container's own cgroup, for a verb that works on all its processes; one line saying why not
     * when it has none (this host could not give it one) or it is gone.
     */
    public ContainerCgroup ownCgroup(String verb) {
        return ownCgroup(StateDirectory.read(root, id), verb);
    }

    private ContainerCgroup ownCgroup(ContainerState recorded, String verb) {
        if (recorded.cgroup() == null) {
            throw new LaunchException("container " + id + ": cannot " + verb + ": it has no cgroup of its own (it shares "
                    + sharedCgroup(recorded.pid()) + "); a container gets one when its linux.resources or linux.cgroupsPath"
                    + " can be applied in this host's cgroup v2 hierarchy", VERB_FAILED, null);
        }
        return Leftovers.recordedCgroup(id, recorded).orElseThrow(() -> new LaunchException("container " + id
                + ": cannot " + verb + ": its cgroup " + recorded.cgroup() + " is gone", VERB_FAILED, null));
    }

    /** The v2 cgroup a container without one of its own runs in (its launcher's), from /proc/PID/cgroup. */
    private static String sharedCgroup(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "cgroup"))) {
                if (line.startsWith("0::")) {
                    return "the cgroup v2 " + line.substring(3) + " with its launcher's other processes";
                }
            }
        } catch (IOException e) {
            // gone meanwhile, or not ours to read
        }
        return "its launcher's cgroup";
    }

    /**
     * Sends {@code signal} to the container's init, or with {@code all} to every process of its cgroup
     * (the init only when it has none). Refused once the container is stopped.
     */
    public void kill(int signal, boolean all) {
        ContainerState recorded = StateDirectory.read(root, id);
        String status = recorded.effectiveStatus();
        if (!status.equals("created") && !status.equals("running") && !status.equals("paused")) {
            throw new LaunchException("container " + id + ": not running (" + status + ")", VERB_FAILED, null);
        }
        try {
            signal(recorded, signal, all);
        } finally {
            if (status.equals("paused") && signal == Signals.SIGKILL) {
                thawAfterKill(); // as runc: a killed container is not left frozen (cgroup v1 needs it to die at all)
            }
        }
    }

    private void thawAfterKill() {
        try (StateDirectory directory = StateDirectory.lock(root, id)) {
            ContainerState recorded = directory.read();
            Optional<ContainerCgroup> cgroup = Leftovers.recordedCgroup(id, recorded);
            if (cgroup.isPresent()) {
                cgroup.get().freeze(false, FREEZE_TIMEOUT_MILLIS);
            }
            if (recorded.status().equals("paused")) {
                directory.write(recorded.withStatus("running"));
            }
        } catch (CgroupException e) {
            throw new LaunchException("container " + id + ": killed, but not thawed: " + e.getMessage(), VERB_FAILED, e);
        }
    }

    private void signal(ContainerState recorded, int signal, boolean all) {
        Optional<ContainerCgroup> cgroup = all ? Leftovers.recordedCgroup(id, recorded) : Optional.empty();
        if (cgroup.isPresent()) {
            try {
                if (signal == Signals.SIGKILL) {
                    cgroup.get().kill();
                    return;
                }
                for (long pid : cgroup.get().subtreePids()) {
                    signalQuietly((int) pid, signal);
                }
                return;
            } catch (CgroupException e) {
                throw new LaunchException("container " + id + ": kill --all: " + e.getMessage(), VERB_FAILED, e);
            }
        }
        if (!Leftovers.signalInit(recorded, signal)) {
            throw new LaunchException("container " + id + ": not running (its init is gone)", VERB_FAILED, null);
        }
    }

    /**
     * Removes the container: its state directory, cgroup and init. A running or created one only with
     * {@code force} (killed first), as the runtime spec asks.
     * A {@code run} container whose launcher still runs is left to that launcher (with {@code force},
     * its init is killed and the launcher cleans up).
     */
    public void delete(boolean force) {
        HookRunner hooks;
        ContainerState deleted;
        try (StateDirectory directory = StateDirectory.lock(root, id)) {
            ContainerState recorded = directory.read();
            String status = recorded.effectiveStatus();
            if (!recorded.outlivesLauncher() && recorded.launcherAlive()) {
                if (!force) {
                    throw new LaunchException("container " + id + ": its launcher (pid " + recorded.launcherPid()
                            + ") is running; send it SIGTERM, or delete --force", VERB_FAILED, null);
                }
                Leftovers.signalInit(recorded, Signals.SIGKILL);
                return;
            }
            if (recorded.launcherPid() == 0 && status.equals("creating")) {
                throw new LaunchException("container " + id + ": being created (no state yet); try again in "
                        + StateDirectory.CLAIM_GRACE_SECONDS + " s", VERB_FAILED, null);
            }
            // The runtime spec: deleting a container that is not stopped MUST fail and have no effect. runc and
            // crun remove a created one anyway; engines clean up with --force (Podman always passes it).
            if (recorded.outlivesLauncher() && (status.equals("running") || status.equals("created")
                    || status.equals("paused")) && !force) {
                throw new LaunchException("container " + id + ": cannot delete a " + status + " container (stop it with kill, "
                        + "or delete --force)", VERB_FAILED, null);
            }
            if (recorded.outlivesLauncher() && status.equals("creating") && recorded.launcherAlive() && !force) {
                throw new LaunchException("container " + id + ": being created by pid " + recorded.launcherPid(),
                        VERB_FAILED, null);
            }
            hooks = new HookRunner(directory.readHooks().orElse(null));
            deleted = recorded;
            directory.removeWithLeftovers(recorded);
        }
        // After the container is deleted, in the runtime's namespaces; a failing one is a warning.
        hooks.run(HookKind.POSTSTOP, deleted.ociJson("stopped"), deleted.pid(), () -> false);
    }

    /** The host pids of the container's processes: its cgroup's, or the init and its descendants without one. */
    public List<Long> processes() {
        ContainerState recorded = StateDirectory.read(root, id);
        if (!recorded.initAlive()) {
            return List.of();
        }
        Optional<ContainerCgroup> cgroup = Leftovers.recordedCgroup(id, recorded);
        if (cgroup.isPresent()) {
            try {
                return new ArrayList<>(new TreeSet<>(cgroup.get().pids()));
            } catch (CgroupException e) {
                throw new LaunchException("container " + id + ": " + e.getMessage(), VERB_FAILED, e);
            }
        }
        return descendants(recorded.pid());
    }

    /** {@code pid} and every process below it, from /proc's parent links. */
    private static List<Long> descendants(long pid) {
        List<long[]> parentOf = new ArrayList<>();
        try (var entries = Files.list(Path.of("/proc"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(entry.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    parentOf.add(new long[] {Long.parseLong(name), Long.parseLong(fields[1])});
                } catch (IOException e) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new LaunchException("reading /proc: " + e.getMessage(), e);
        }
        TreeSet<Long> found = new TreeSet<>(List.of(pid));
        boolean grew = true;
        while (grew) {
            grew = false;
            for (long[] link : parentOf) {
                if (found.contains(link[1]) && found.add(link[0])) {
                    grew = true;
                }
            }
        }
        return new ArrayList<>(found);
    }

    private static void signalQuietly(int pid, int signal) {
        try {
            dev.bulwark.nativ.Syscalls.kill(pid, signal);
        } catch (dev.bulwark.nativ.SyscallException e) {
            // exited meanwhile
        }
    }
}
