package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
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

    /**
     * Sends {@code signal} to the container's init, or with {@code all} to every process of its cgroup
     * (the init only when it has none). Refused once the container is stopped.
     */
    public void kill(int signal, boolean all) {
        ContainerState recorded = StateDirectory.read(root, id);
        String status = recorded.effectiveStatus();
        if (!status.equals("created") && !status.equals("running")) {
            throw new LaunchException("container " + id + ": not running (" + status + ")", VERB_FAILED, null);
        }
        Optional<ContainerCgroup> cgroup = all ? Leftovers.recordedCgroup(id, recorded) : Optional.empty();
        if (cgroup.isPresent()) {
            try {
                if (signal == Signals.SIGKILL) {
                    cgroup.get().kill();
                    return;
                }
                for (long pid : cgroup.get().pids()) {
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
            if (recorded.outlivesLauncher() && (status.equals("running") || status.equals("created")) && !force) {
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
