package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.setup.ChildProgram;
import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.launcher.setup.LauncherMounts;
import dev.bulwark.launcher.cgroup.CgroupHost;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.plan.OwnCgroupMount;
import dev.bulwark.launcher.hooks.HookKind;
import dev.bulwark.launcher.hooks.HookRunner;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one container from the launcher's side: validate, claim the id, compile the child's syscall
 * table, clone, write the id maps, release the child, learn whether execve happened, wait, and clean
 * up. Every failure leaves nothing behind: the child is killed and reaped, the state directory removed.
 * The config's hooks run at the points the runtime spec names: prestart, createRuntime and
 * createContainer while the child stops before pivot_root ({@link SetupHookStops}), startContainer
 * before execve ({@code run}; {@code start} for a created container), poststart once the workload runs,
 * poststop once a container that will not be {@code delete}d is cleaned up.
 */
public final class ContainerRun {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    /** A foreground container still running after this long is a service: the launcher gives back memory (IdleMemory). */
    private static final long IDLE_AFTER_MILLIS = 100;
    private static final int SYNC_BYTE = 1;
    /** How long the workload's last terminal output may take to reach the launcher's stdout after it exits. */
    private static final java.time.Duration TERMINAL_DRAIN = java.time.Duration.ofSeconds(2);

    private final RunRequest request;
    private final PrintStream explain;
    private HookRunner hooks = new HookRunner(null);
    /** The container once its init exists (set by the clone's work, possibly on another thread); null before. */
    private volatile ContainerState cloned;
    /** create succeeded: the container lives on, and its poststop hooks are delete's. */
    private boolean created;
    /** run --detach: starts the created container from this process (see {@link #createAndStart}); null for create. */
    private Runnable startAfterCreate;

    private ContainerRun(RunRequest request) {
        this.request = request;
        this.explain = request.explain();
    }

    /**
     * create: sets the container up and leaves its init blocked on exec.fifo, recorded as "created"
     * in its state directory; returns once that is so (exit status 0). Nothing of this JVM stays.
     */
    public static RunResult create(RunRequest request) {
        if (request.create() == null) {
            throw new IllegalArgumentException("create needs RunRequest.create");
        }
        return new ContainerRun(request).run();
    }

    /**
     * run --detach: {@link #create}, then {@code start} (which lets the init go on), then waits for the
     * workload's execve only: a command that is missing or cannot be executed fails as in a foreground
     * run (127, 126; the container is left stopped for the caller to delete). Returns once it runs.
     */
    public static RunResult createAndStart(RunRequest request, Runnable start) {
        ContainerRun run = new ContainerRun(request);
        run.startAfterCreate = java.util.Objects.requireNonNull(start);
        if (request.create() == null) {
            throw new IllegalArgumentException("createAndStart needs RunRequest.create");
        }
        return run.run();
    }

    /**
     * Runs the container and waits for it. The calling thread must outlive the container: the child's
     * parent-death signal follows the thread that cloned it, not the process.
     */
    public static RunResult run(RunRequest request) {
        return new ContainerRun(request).run();
    }

    private RunResult run() {
        try {
            return claimAndLaunch();
        } finally {
            ContainerState ended = cloned;
            if (ended != null && !created) { // the container is gone and cleaned up: "continue at delete"
                hooks.run(HookKind.POSTSTOP, ended.ociJson("stopped"), ended.pid(), () -> false);
            }
        }
    }

    private RunResult claimAndLaunch() {
        ContainerId id = ContainerId.parse(request.id(), "--id"); // before any path is built from it
        int euid = Syscalls.geteuid();
        int egid = Syscalls.getegid();
        boolean rootless = euid != 0;
        LaunchPlan plan = LaunchPlan.of(request, euid, egid);
        Spec spec = plan.spec();
        hooks = new HookRunner(spec.hooks());
        IdMaps idMaps = plan.idMaps();
        ConsoleSocket.check(spec, request);
        Path bundleRootfs = plan.bundleRootfs();
        long started = System.nanoTime();
        ProcessIdentity launcher = ProcessIdentity.self();
        try (StateRoot stateRoot = StateRoot.openOrCreate(request.stateRoot());
             StateDirectory state = StateDirectory.claim(stateRoot, id, claimedState(id, launcher, rootless))) {
            LaunchStep.STATE_CLAIMED.pauseIf(request.testPause());
            if (request.create() != null && hooks.has(HookKind.START_CONTAINER, HookKind.POSTSTART, HookKind.POSTSTOP)) {
                state.writeHooks(spec.hooks()); // start and delete run them from fresh processes
            }
            Path rootfs = bundleRootfs != null ? bundleRootfs : state.rootfsMountPoint();
            boolean idmapping = !rootless && idMaps.userNamespace() && spec.linux().createsNamespace("user");
            if (!rootless && idMaps.userNamespace() && bundleRootfs == null) {
                requireReachable(rootfs, idMaps.uid().get(0).hostId(), "--root (state directory)");
            }
            ContainerState[] creating = new ContainerState[1];
            try (ContainerLimits limits = ContainerLimits.create(id.value(), spec, rootless, cgroup -> {
                creating[0] = initialState(id.value(), spec, rootfs, rootless, idMaps, launcher, cgroup);
                state.write(creating[0]);
            }, request.embedded() != null ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING)) {
                LaunchStep.CGROUP_CREATED.pauseIf(request.testPause());
                limits.fallbackExplanation().ifPresent(this::tellLayer);
                HostHandoff handoff = request.handoff();
                NotifyRelay notify = handoff.notifySocket() == null ? null : NotifyRelay.start(state, handoff.notifySocket(), idMaps,
                        spec.process().user().uid());
                Spec planned;
                ContainerContext context;
                try {
                    planned = handoff.applyTo(withOwnCgroupMount(spec, limits.path()));
                    planned = notify == null ? planned : notify.applyTo(planned, request.hostUsrRoot());
                    planned = ConsoleSocket.withLauncherSize(planned, request);
                    context = new ContainerContext(id.value(), planned, request.bundle(), rootfs,
                            request.hostUsrRoot(), rootless, euid, egid, limits.fallbackRlimits(),
                            request.lsm() != null ? request.lsm() : LsmHost.probe(), // once per launch
                            Math.max(handoff.passedFds(), request.create() == null ? 0 : request.create().preserveFds()));
                    ExecConfig execConfig = ExecConfig.of(planned, limits.fallbackRlimits(), request.hostUsrRoot());
                    state.writeExecConfig(request.memo() != null ? request.memo().execConfigJson(execConfig) : execConfig.toJson()); // for exec
                } catch (RuntimeException e) {
                    if (notify != null) {
                        notify.close();
                    }
                    throw e;
                }
                tellHandoff(handoff, request.hostUsrRoot());
                try (NotifyRelay relay = notify; // stops after the container: what it sent last still reaches systemd
                     IdmapUserNamespace userns = new IdmapUserNamespace(idMaps);
                     LauncherMounts prepared = idmapping ? LauncherMounts.prepare(new LauncherMounts.Request(planned,
                             request.bundle(), bundleRootfs, state::rootfsMountPoint, idMaps.uid(), idMaps.gid(),
                             spec.linux().uidMappings().isEmpty(), userns)) : LauncherMounts.none()) {
                    userns.close(); // the idmapped mounts hold the namespace now
                    if (idmapping && bundleRootfs != null && prepared.rootTree().isEmpty()) {
                        requireReachable(rootfs, idMaps.uid().get(0).hostId(), "root.path");
                    }
                    if (!prepared.fds().isEmpty()) {
                        tell("prepared " + prepared.fds().size() + " detached mount(s) for the child (idmapped clones, device nodes)");
                    }
                    return launch(context, idMaps, state, limits, creating[0], started, prepared);
                }
            }
        }
    }

    private void tellHandoff(HostHandoff handoff, boolean hostUsrRoot) {
        if (handoff.notifySocket() != null) {
            tell("NOTIFY_SOCKET: " + NotifyRelay.containerPath(hostUsrRoot) + " in the container is relayed to " + handoff.notifySocket());
        }
        if (handoff.passedFds() > 0) {
            tell("the workload inherits fds 3.." + (2 + handoff.passedFds()) + (handoff.activation() == null ? ""
                    : " (" + handoff.activation().count() + " listening socket(s) from socket activation first)"));
        }
    }

    private ContainerState claimedState(ContainerId id, ProcessIdentity launcher, boolean rootless) {
        ContainerState claimed = ContainerState.claimed(id.value(), launcher, rootless);
        return request.create() != null ? claimed.detach() : claimed;
    }

    private RunResult launch(ContainerContext context, IdMaps idMaps, StateDirectory state, ContainerLimits limits,
                             ContainerState creating, long started, LauncherMounts prepared) {
        List<Integer> fds = new ArrayList<>();
        boolean detached = request.create() != null;
        try (SetupHookStops hookStops = SetupHookStops.plan(hooks, detached);
             LateIdMaps lateIdMaps = LateIdMaps.plan(context.spec());
             PastaNetwork pasta = PastaNetwork.plan(context.spec(), context.rootless(), context.hostUsrRoot(), detached)) {
            int[] sync = open(fds, Syscalls.pipe2(OpenFlags.O_CLOEXEC));
            int[] failure = open(fds, Syscalls.pipe2(OpenFlags.O_CLOEXEC));
            int[] progress = explain == null ? new int[] {-1, -1} : open(fds, Syscalls.pipe2(OpenFlags.O_CLOEXEC));
            int[] narration = explain == null ? new int[] {-1, -1} : open(fds, Syscalls.pipe2(OpenFlags.O_CLOEXEC));
            int[] ready = detached ? open(fds, Syscalls.pipe2(OpenFlags.O_CLOEXEC)) : new int[] {-1, -1};
            int execFifo = -1;
            if (detached) {
                execFifo = state.makeExecFifo();
                fds.add(execFifo);
            }
            ChildProgram.Pipes pipes = new ChildProgram.Pipes(sync[0], sync[1], failure[0], failure[1], progress[0], progress[1],
                    narration[0], narration[1]);
            ChildProgram.Stdio stdio = detached && request.create().logToState() ? logStdio(fds, state) : null;
            ChildProgram.Detached waitForStart = detached
                    ? new ChildProgram.Detached(ready[1], execFifo, context.passedFds(), stdio) : null;
            RunRequest.Embedded embedded = request.embedded();
            ChildProgram.Stdio ownStdio = embedded == null ? null
                    : new ChildProgram.Stdio(embedded.stdin(), embedded.stdout(), embedded.stderr());
            ConsoleSocket console = ConsoleSocket.open(context.spec(), request, fds);
            ChildSteps steps = ChildProgram.compile(context, pipes, idMaps.setgroupsAllowed(), waitForStart,
                    hookStops == null ? null : hookStops.stops(), prepared, lateIdMaps == null ? null : lateIdMaps.stop(),
                    ownStdio, console == null ? -1 : console.childEnd());
            try (SyscallTable table = steps.table()) {
                // create: the fork-like spawn. CLONE_VFORK would hold this thread until the child's execve,
                // which a created container reaches only after start, long after create has exited.
                // Hooks that join the child's namespaces need a child with its own memory: one sharing the
                // launcher's turns non-dumpable with it, and its /proc/PID/ns would be closed to a rootless launcher.
                boolean hooksJoinChild = hooks.has(HookKind.CREATE_CONTAINER, HookKind.START_CONTAINER);
                // setns into a time namespace needs a process that shares no memory (EUSERS otherwise)
                boolean joinsTime = context.spec().linux().namespaces().stream()
                        .anyMatch(n -> n.type().equals("time") && n.path() != null && !n.path().isEmpty());
                // pasta opens the waiting child's namespaces: a child of its own memory can make itself dumpable
                // (ChildProgram) without touching the launcher's, which other launches of this JVM change
                SpawnMode spawn = detached || hooksJoinChild || joinsTime || pasta != null ? SpawnMode.FORK : SpawnMode.current();
                long cloneFlags = ChildProgram.cloneFlags(context.spec()) | spawn.cloneFlags();
                Thread[] narrator = new Thread[1];
                // Not while an exec of this JVM has its oom_score_adj set: the init would inherit it (until the clone only)
                SyscallTable.Spawned child = InheritedOomScore.withOwnValue(oomScore -> table.cloneAndRun(cloneFlags, failure[1], (pid, pidfd) -> {
                    oomScore.cloned();
                    // Between clone and release: the child waits on the sync pipe while we set it up.
                    tellLayer(() -> "namespaces: new " + namespaceList(context.spec()) + " -> container init is host pid " + pid);
                    ContainerState init = creating.cloned(identityOf(pid), namespacesOf(pid));
                    state.write(init);
                    cloned = init;
                    LaunchStep.CHILD_CLONED.pauseIf(request.testPause());
                    if (pasta != null) { // before the id maps: the launcher is still dumpable, pasta may open /proc/PID/ns
                        long attaching = System.nanoTime();
                        pasta.attach(pid);
                        if (pasta.detachedIdentity() != null) { // recorded at once: a delete of a half-made container ends it too
                            state.recordPasta(pasta.detachedIdentity());
                        }
                        tell("pasta connected the container's network namespace to the host in "
                                + (System.nanoTime() - attaching) / 1_000_000 + " ms: " + String.join(" ", pasta.command(pid)));
                    }
                    if (lateIdMaps == null) {
                        writeIdMaps(context.spec(), idMaps, pid);
                    }
                    limits.join(pid);
                    LaunchStep.CGROUP_JOINED.pauseIf(request.testPause());
                    limits.path().ifPresent(cgroup -> tellLayer(() -> "cgroup: the child joined " + cgroup + " before running anything"));
                    tell("releasing the child: it now runs its prepared syscalls, no Java involved");
                    if (progress[0] >= 0) {
                        narrator[0] = StepNarrator.start(explain, progress[0], narration[1], table, steps, context.spec());
                    }
                    Syscalls.write(sync[1], new byte[] {SYNC_BYTE});
                    LaunchStep.RELEASED.pauseIf(request.testPause());
                    if (lateIdMaps != null && lateIdMaps.serve(() -> writeIdMaps(context.spec(), idMaps, pid))) {
                        tell("the child joined the config's namespaces, then made its user namespace: maps written at its stop");
                    }
                    if (hookStops != null) { // the stops come after any fork step: hooks see the real init
                        hookStops.serve(() -> {
                            if (!table.forks()) {
                                return init;
                            }
                            // Recorded too: state and kill from a hook must find the forked init, not the
                            // process that forked it and exited.
                            ContainerState forked = creating.cloned(identityOf(table.forkedPid()), namespacesOf(table.forkedPid()));
                            state.write(forked);
                            cloned = forked;
                            return forked;
                        });
                    }
                }));
                fds.add(child.pidfd());
                closeNow(fds, sync[0]);
                closeNow(fds, sync[1]);
                closeNow(fds, failure[1]);
                if (console != null) {
                    closeNow(fds, console.childEnd()); // the child's copy alone: end-of-file if it fails before sending
                }
                if (progress[1] >= 0) {
                    closeNow(fds, progress[1]);
                    closeNow(fds, narration[0]);
                }
                if (detached) {
                    closeNow(fds, ready[1]);
                    closeNow(fds, execFifo);
                    RunResult result = awaitCreated(new Launched(context, state, limits, creating, table, child, failure[0], started), ready[0]);
                    if (pasta != null) {
                        pasta.keep(); // it lives with the container now; delete ends it
                    }
                    return result;
                }
                return supervise(new Launched(context, state, limits, creating, table, child, failure[0], started), narrator[0], console);
            }
        } finally {
            for (int fd : fds) {
                closeQuietly(fd);
            }
        }
    }

    /** run --detach: /dev/null and the new log file, for the child to take as its fds 0, 1 and 2. */
    private static ChildProgram.Stdio logStdio(List<Integer> fds, StateDirectory state) {
        int input = dev.bulwark.nativ.DirectoryCalls.openat(OpenFlags.AT_FDCWD, "/dev/null", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
        fds.add(input);
        int output = ContainerLog.create(state);
        fds.add(output);
        if (input < 3 || output < 3) { // the child's dup3 onto 0-2 would clash with them
            throw new LaunchException("--detach: the launcher's stdin, stdout and stderr must be open (fd "
                    + Math.min(input, output) + " was closed)");
        }
        return new ChildProgram.Stdio(input, output);
    }

    /** The child's uid/gid maps (and setgroups), then the launcher's own hardening, which must follow them. */
    private void writeIdMaps(Spec spec, IdMaps idMaps, int pid) {
        idMaps.writeTo(pid);
        LaunchStep.MAPS_WRITTEN.pauseIf(request.testPause());
        ParentHardening.afterIdMaps(spec, pid); // oomScoreAdj; launcher non-dumpable from here
        if (explain == null) {
            return; // the child waits for its release: no narration text built for nobody
        }
        if (idMaps.userNamespace()) {
            tellLayer("user namespace: uid_map " + IdMaps.format(idMaps.uid()).strip().replace("\n", ", ")
                    + " (container id, host id, count): container root is an unprivileged host user; gid_map "
                    + IdMaps.format(idMaps.gid()).strip().replace("\n", ", ")
                    + (idMaps.setgroupsAllowed() ? "" : "; setgroups denied, as the kernel requires without privilege"));
        } else {
            tellLayer("user namespace: none (the config lists none): container ids are host ids");
        }
    }

    /** A container's init as the launch left it, with what the launcher needs to follow it. */
    private record Launched(ContainerContext context, StateDirectory state, ContainerLimits limits, ContainerState creating,
                           SyscallTable table, SyscallTable.Spawned child, int failureRead, long started) {
    }

    private RunResult supervise(Launched spawned, Thread narrator, ConsoleSocket console) {
        ContainerContext context = spawned.context();
        StateDirectory state = spawned.state();
        ContainerLimits limits = spawned.limits();
        SyscallTable.Spawned child = spawned.child();
        boolean reaped = false;
        try {
            if (child.parentWorkFailure() != null) {
                throw child.parentWorkFailure(); // the child was killed; the finally below reaps it
            }
            byte[] record = readFailureRecord(spawned.failureRead());
            if (record.length > 0) {
                SyscallTable.ChildFailure failure = spawned.table().decodeFailure(record);
                Syscalls.wait4(child.pid(), 0);
                reaped = true;
                StepNarrator.await(narrator);
                throw childFailed(context.spec(), failure);
            }
            ContainerState running = spawned.creating().running(identityOf(child.pid()), namespacesOf(child.pid()));
            state.write(running);
            cloned = running;
            state.unlock(); // kill, delete --force and friends may act on it while this launcher waits
            LaunchStep.RUNNING.pauseIf(request.testPause());
            ContainerStop stop = new ContainerStop(context.id(), child.pidfd(), request.foreground() == null
                    ? ContainerStop.DEFAULT_TIMEOUT : request.foreground().stopTimeout(), limits::killAll);
            if (request.foreground() != null) {
                request.foreground().signals().register(stop);
            }
            try (TerminalRelay terminal = console == null ? null
                    : console.relay(request.foreground() == null ? null : request.foreground().signals())) {
                if (request.embedded() != null) {
                    request.embedded().running().accept(new RunRequest.Running(context.id(), child.pid(), stop));
                }
                hooks.run(HookKind.POSTSTART, running.ociJson("running"), child.pid(), () -> false);
                if (request.foreground() != null && !Syscalls.pollReadable(child.pidfd(), IDLE_AFTER_MILLIS)) {
                    IdleMemory.release(); // a service: the launcher only waits from now on
                }
                Syscalls.WaitStatus status = Syscalls.wait4(child.pid(), 0);
                reaped = true;
                if (terminal != null) {
                    terminal.finish(TERMINAL_DRAIN);
                }
                StepNarrator.await(narrator);
                long millis = (System.nanoTime() - spawned.started()) / 1_000_000;
                boolean oomKilled = limits.oomKills() > 0;
                if (oomKilled) {
                    LOG.log(System.Logger.Level.WARNING, limits.oomMessage()); // the CLI's LogOutput prints "bulwark: ..."
                }
                return new RunResult(context.id(), status.shellStatus(), status.exited() ? 0 : status.termSignal(),
                        child.pid(), millis, oomKilled);
            } finally {
                stop.ended();
                if (request.foreground() != null) {
                    request.foreground().signals().unregister(stop);
                }
            }
        } finally {
            if (!reaped) {
                killAndReap(child);
            }
        }
    }

    /**
     * create: waits until the child has done every setup step and blocks on exec.fifo (one byte on the
     * ready pipe), records it as created and leaves it, its cgroup and its state directory in place.
     * End-of-file instead means the child failed (its failure record says where) or was killed: then
     * nothing is left, as for any failed launch.
     */
    private RunResult awaitCreated(Launched spawned, int readyRead) {
        StateDirectory state = spawned.state();
        SyscallTable.Spawned child = spawned.child();
        try {
            if (child.parentWorkFailure() != null) {
                throw child.parentWorkFailure(); // the child was killed; the finally below reaps it
            }
            if (Syscalls.read(readyRead, 1).length == 0) {
                byte[] record = readFailureRecord(spawned.failureRead());
                if (record.length > 0) {
                    throw childFailed(spawned.context().spec(), spawned.table().decodeFailure(record));
                }
                throw new LaunchException("create: the container's init ended before its setup was done");
            }
            state.write(spawned.creating().cloned(identityOf(child.pid()), namespacesOf(child.pid())).withStatus("created"));
            if (request.create().pidFile() != null) {
                state.writePidFile(request.create().pidFile(), child.pid());
            }
            state.keep();
            spawned.limits().keep();
            created = true;
            tell("created: init (host pid " + child.pid() + ") waits on exec.fifo for start");
            if (startAfterCreate != null) {
                state.unlock(); // start takes the lock itself
                startAfterCreate.run();
                byte[] record = readFailureRecord(spawned.failureRead()); // end-of-file at the workload's execve
                if (record.length > 0) {
                    throw childFailed(spawned.context().spec(), spawned.table().decodeFailure(record));
                }
            }
            return new RunResult(spawned.context().id(), 0, 0, child.pid(), (System.nanoTime() - spawned.started()) / 1_000_000, false);
        } finally {
            if (!created) {
                killAndReap(child);
            }
        }
    }

    private static LaunchException childFailed(Spec spec, SyscallTable.ChildFailure failure) {
        if (failure.kind() == dev.bulwark.nativ.spawn.StepKind.EXEC) {
            int errno = failure.errno();
            int status = errno == Errno.ENOENT || errno == Errno.ENOTDIR ? LaunchException.NOT_FOUND : LaunchException.CANNOT_EXECUTE;
            String what = status == LaunchException.NOT_FOUND ? "not found in the container" : "cannot be executed";
            return new LaunchException("process.args[0]: " + spec.process().args().get(0) + " " + what + " ("
                    + failure.message() + ")", status, null);
        }
        return new LaunchException(ChildProgram.failureMessage(failure));
    }

    /** The child's failure record: 16 bytes on failure (one atomic pipe write), end-of-file once execve closed the pipe. */
    private static byte[] readFailureRecord(int fd) {
        return Syscalls.read(fd, 16);
    }

    /** A narration line of --explain=full and --trace (left out of --explain=brief). */
    private void tell(String message) {
        if (explain != null && NarrationStream.detailOf(explain) != dev.bulwark.launcher.setup.Narration.Detail.BRIEF) {
            explain.println(NarrationStream.PREFIX + message);
        }
    }

    /** A narration line that sums up a layer the launcher sets up itself: said at every detail. */
    private void tellLayer(String message) {
        if (explain != null) {
            explain.println(NarrationStream.PREFIX + message);
        }
    }

    /** As {@link #tellLayer(String)}, the text built only when someone reads it (between clone and release the child waits). */
    private void tellLayer(java.util.function.Supplier<String> message) {
        if (explain != null) {
            tellLayer(message.get());
        }
    }

    private static void killAndReap(SyscallTable.Spawned child) {
        try {
            Syscalls.pidfdSendSignal(child.pidfd(), Signals.SIGKILL);
        } catch (SyscallException e) {
            // already gone
        }
        try {
            Syscalls.wait4(child.pid(), 0);
        } catch (SyscallException e) {
            // ECHILD: already reaped
        }
    }

    /** A cgroup mount without a cgroup namespace binds the container's cgroup v2 directory read-only, as runc does. */
    private static Spec withOwnCgroupMount(Spec spec, java.util.Optional<Path> containerCgroup) {
        if (!OwnCgroupMount.needed(spec)) {
            return spec;
        }
        java.util.Optional<Path> own = containerCgroup;
        if (own.isEmpty()) {
            try { // no cgroup of its own: the container stays in the launcher's
                own = CgroupHost.detect().map(host -> host.dirOf(host.ownCgroup()));
            } catch (IOException e) {
                throw new LaunchException("mounts: a cgroup mount needs the launcher's cgroup, which cannot be read: "
                        + e.getMessage(), e);
            }
        }
        return own.map(dir -> OwnCgroupMount.bind(spec, dir)).orElse(spec);
    }

    /** As root the container's root user is an unprivileged host id: every directory above the rootfs must let it through. */
    private static void requireReachable(Path path, long hostUid, String field) {
        for (Path p = path; p != null; p = p.getParent()) {
            try {
                int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                int owner = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                if (owner != hostUid && (mode & 0001) == 0) {
                    throw new LaunchException(field + ": " + path + " is not reachable by the container's root (host uid "
                            + hostUid + "): " + p + " has mode " + Integer.toOctalString(mode & 07777)
                            + "; move the bundle or allow others to search " + p);
                }
            } catch (IOException e) {
                throw new LaunchException(field + ": cannot inspect " + p + ": " + e.getMessage(), e);
            }
        }
    }

    private ContainerState initialState(String id, Spec spec, Path rootfs, boolean rootless, IdMaps idMaps,
                                        ProcessIdentity launcher, java.util.Optional<Path> cgroup) {
        return new ContainerState(spec.ociVersion(), id, "creating", 0, 0, launcher.pid(),
                launcher.startTime(), request.bundle() == null ? null : request.bundle().toAbsolutePath().toString(),
                rootfs.toString(), rootless, Instant.now().toString(),
                IdMaps.format(idMaps.uid()).strip(), IdMaps.format(idMaps.gid()).strip(),
                cgroup.map(Path::toString).orElse(null), null, spec.annotations(), request.create() != null ? Boolean.TRUE : null);
    }

    /** The child by pid and start time (start time 0, "compare by pid", if it is already gone). */
    private static ProcessIdentity identityOf(int pid) {
        return ProcessIdentity.current(pid).orElse(new ProcessIdentity(pid, 0));
    }

    /** The container's namespaces (type to inode link): with its pid and start time, what identifies it later. */
    private static Map<String, String> namespacesOf(int pid) {
        Map<String, String> namespaces = new LinkedHashMap<>();
        for (String type : List.of("user", "pid", "mnt", "uts", "ipc", "net", "cgroup")) {
            try {
                namespaces.put(type, Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", type)).toString());
            } catch (IOException e) {
                // the container may already be gone; state is best effort
            }
        }
        return namespaces;
    }

    private static String namespaceList(Spec spec) {
        return String.join(", ", spec.linux().namespaces().stream().map(LinuxNamespace::type).toList());
    }

    private static int[] open(List<Integer> fds, int[] pair) {
        fds.add(pair[0]);
        fds.add(pair[1]);
        return pair;
    }

    private static void closeNow(List<Integer> fds, int fd) {
        fds.remove(Integer.valueOf(fd));
        Syscalls.close(fd);
    }

    private static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            Syscalls.close(fd);
        } catch (SyscallException e) {
            // already closed on an error path
        }
    }
}
