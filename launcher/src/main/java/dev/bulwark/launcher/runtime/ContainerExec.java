package dev.bulwark.launcher.runtime;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.Problem;
import dev.bulwark.config.validation.SpecValidator;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.launcher.hooks.ContainerNamespaces;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.setup.ChildProgram;
import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.launcher.setup.ExecProgram;
import dev.bulwark.launcher.setup.LsmSteps;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.signal.SignalRelay;
import dev.bulwark.nativ.spawn.StepKind;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * {@code exec}: a new process in a created or running container, confined as its init is (see
 * {@link ExecProgram}), from the config the init was compiled from ({@link ExecConfig}, kept in the state
 * directory). The state directory's lock is held until the process has exec'd (no delete in between; in a
 * paused container only until its namespaces and cgroup are open, as the process stops in the frozen cgroup
 * until resume), then released while a foreground exec waits. Failures before the process runs are runc's: exit status
 * 255, one line ("container X does not exist", "cannot exec in a stopped container"); a bad process is
 * one line naming its field, exit 125; a program that is missing is 127, one that cannot run 126.
 */
public final class ContainerExec {
    private static final System.Logger LOG = System.getLogger(ContainerExec.class.getName());

    /** runc's exit status for an exec that could not run its process. */
    public static final int EXEC_FAILED = 255;

    /**
     * @param process    the exec'd process from the container's recorded one (flags) or a --process file
     * @param detach     return once the process has exec'd, without waiting for it
     * @param pidFile    written with the process's host pid once it has exec'd, or null
     * @param preserveFds the caller's fds 3 .. 3+N-1 the process inherits
     * @param relaySignals whether signals the launcher receives go to the process (a foreground exec from the CLI)
     * @param hardenLauncher whether the launcher makes itself non-dumpable for good (the CLI's process, which runs
     *                       one exec), as soon as it has opened its oom_score_adj
     * @param ignorePaused  exec into a paused container too (runc's --ignore-paused)
     * @param consoleSocket with process.terminal and {@code detach}: where the terminal's master is sent (runc's
     *                      --console-socket); null relays the terminal to the launcher's stdin and stdout instead
     * @param embedded   for an exec from an embedding JVM (the Java API): the process's own stdio and who learns its
     *                   pid once it runs; null: it inherits the launcher's fds 0-2 (the CLI)
     */
    public record Request(Path stateRoot, String id, UnaryOperator<Process> process, boolean detach, Path pidFile,
                          int preserveFds, boolean relaySignals, boolean hardenLauncher, boolean ignorePaused,
                          Path consoleSocket, Embedded embedded) {
        /** Refusing a paused container, as runc does without --ignore-paused; no console socket; the launcher's stdio. */
        public Request(Path stateRoot, String id, UnaryOperator<Process> process, boolean detach, Path pidFile,
                       int preserveFds, boolean relaySignals, boolean hardenLauncher) {
            this(stateRoot, id, process, detach, pidFile, preserveFds, relaySignals, hardenLauncher, false, null, null);
        }
    }

    /**
     * An exec from a JVM that embeds Bulwark: the process takes {@code stdio} (the launcher's fds, 3 or above,
     * e.g. pipes) as its fds 0-2, and {@code started} learns its host pid once it has exec'd (on the calling
     * thread, before the wait). Its oom_score_adj is inherited only where the launcher can still open its own
     * (an embedding JVM may be non-dumpable by then: see ParentHardening); a process.oomScoreAdj is refused there.
     */
    public record Embedded(ChildProgram.Stdio stdio, java.util.function.IntConsumer started) {
    }

    /** How long the last output of a terminal is copied after the process ended, as for run. */
    private static final java.time.Duration TERMINAL_DRAIN = java.time.Duration.ofSeconds(2);

    private ContainerExec() {
    }

    /** Runs the request's process; its exit status (128 + signal when killed), or 0 once it exec'd when detached. */
    public static int exec(Request request) {
        ContainerId id = ContainerId.parse(request.id(), "ID");
        // Installed just before the clone (once the container is found and the process checked): a signal that
        // arrives while the process is made is queued and delivered to it
        ForwardedSignals signals = request.relaySignals() && !request.detach() ? new ForwardedSignals() : null;
        try {
            Started started;
            try (InheritedOomScore oomScore = request.embedded() != null ? InheritedOomScore.openIfPossible()
                    : InheritedOomScore.open()) {
                if (request.hardenLauncher()) {
                    ParentHardening.makeNonDumpableNow(); // before it opens the state root: see ExecProgram's first step
                }
                try (StateRoot root = StateRoot.open(request.stateRoot()).orElseThrow(() -> new NoSuchContainerException(id))) {
                    started = start(root, id, request, oomScore, signals);
                } catch (NoSuchContainerException e) {
                    throw new LaunchException(e.getMessage(), EXEC_FAILED, e);
                }
            }
            try {
                if (request.embedded() != null) {
                    request.embedded().started().accept(started.pid());
                }
                if (request.detach()) {
                    return 0;
                }
                return await(started, signals);
            } finally {
                if (signals != null) {
                    signals.close(); // before the pidfd is closed: no signal goes to a reused fd number
                }
                Syscalls.close(started.pidfd());
                if (started.master() >= 0 && request.detach()) {
                    Syscalls.close(started.master());
                }
            }
        } finally {
            if (signals != null) {
                signals.close();
            }
        }
    }

    /**
     * The launcher's SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2, relayed to the exec'd process (queued
     * until it exists), and SIGWINCH, passed to its relayed terminal.
     */
    private static final class ForwardedSignals implements AutoCloseable {
        private final List<Integer> pending = new java.util.ArrayList<>();
        private int pidfd = -1;
        private TerminalRelay terminal;
        private boolean installed;

        void install() {
            List<Integer> handled = new java.util.ArrayList<>(SignalForwarding.FORWARDED);
            handled.add(SignalForwarding.SIGWINCH);
            SignalRelay.install(handled, this::deliver);
            synchronized (this) {
                installed = true;
            }
        }

        synchronized void target(int processPidfd, TerminalRelay relay) {
            pidfd = processPidfd;
            terminal = relay;
            pending.forEach(this::send);
            pending.clear();
        }

        private synchronized void deliver(int signal) {
            if (signal == SignalForwarding.SIGWINCH) {
                if (terminal != null) {
                    terminal.windowChanged();
                }
            } else if (pidfd < 0) {
                pending.add(signal);
            } else {
                send(signal);
            }
        }

        private void send(int signal) {
            try {
                Syscalls.pidfdSendSignal(pidfd, signal);
            } catch (SyscallException e) {
                // ESRCH: it exited meanwhile; the wait reports that
            }
        }

        /**
         * Stops the relay outside this monitor: stop() joins the relay's reader thread, which may be waiting to enter
         * {@link #deliver}; once pidfd is -1 here, a late signal is only queued, never sent to a reused fd number.
         */
        @Override
        public void close() {
            boolean stop;
            synchronized (this) {
                pidfd = -1;
                terminal = null;
                stop = installed;
                installed = false;
            }
            if (stop) {
                SignalRelay.stop();
            }
        }
    }

    /** @param master the terminal's master when the launcher relays it (exec --tty without a console socket), else -1 */
    private record Started(int pid, int pidfd, int master) {
    }

    private static Started start(StateRoot root, ContainerId id, Request request, InheritedOomScore oomScore,
                                 ForwardedSignals signals) {
        try (StateDirectory directory = StateDirectory.lock(root, id)) {
            ContainerState recorded = directory.read();
            String status = recorded.effectiveStatus();
            if (status.equals("paused") && !request.ignorePaused()) {
                throw new LaunchException("container " + id + ": cannot exec in a paused container (use --ignore-paused to "
                        + "override)", EXEC_FAILED, null);
            }
            if (!status.equals("running") && !status.equals("created") && !status.equals("paused")) { // runc execs in a created container too
                throw new LaunchException("container " + id + ": cannot exec in a " + status + " container", EXEC_FAILED, null);
            }
            ExecConfig config = ExecConfig.fromJson(directory.readExecConfig().orElseThrow(() -> new LaunchException(
                    "container " + id + ": its state directory keeps no config for exec (made by an older Bulwark?)",
                    EXEC_FAILED, null)), directory.path() + "/" + StateDirectory.EXEC_CONFIG_FILE);
            LsmHost lsm = LsmHost.probe();
            Spec spec = execSpec(config.spec(), request.process());
            ConsoleSocket.check(Boolean.TRUE.equals(spec.process().terminal()), request.detach(), request.consoleSocket());
            if (request.consoleSocket() == null) {
                spec = ConsoleSocket.withCallerSize(spec); // set before execve, as for run -t
            }
            // As for the init: under the oci profile an AppArmor profile the host cannot apply is dropped with a warning
            boolean hardened = "hardened".equals(spec.annotations().get(HardenedDefaults.PROFILE_ANNOTATION));
            spec = LsmSteps.forLaunch(spec, lsm, !hardened, false);
            Optional<ContainerCgroup> cgroup = Leftovers.recordedCgroup(id, recorded);
            int euid = Syscalls.geteuid();
            ContainerContext context = new ContainerContext(id.value(), spec,
                    recorded.bundle() == null ? null : Path.of(recorded.bundle()),
                    recorded.rootfs() == null ? Path.of("/") : Path.of(recorded.rootfs()), config.hostUsrRoot(),
                    euid != 0, euid, Syscalls.getegid(), List.of(), lsm, request.preserveFds());
            Started started;
            try (ContainerNamespaces namespaces = ContainerNamespaces.of(recorded.pid(), recorded::initAlive)) {
                if (namespaces.joined().stream().anyMatch(n -> n.type() == CloneFlags.CLONE_NEWUSER)) {
                    requireMapped(spec, recorded.pid());
                }
                boolean setgroupsAllowed = setgroupsAllowed(recorded.pid(), namespaces);
                if (signals != null) {
                    signals.install();
                }
                boolean paused = status.equals("paused");
                int cgroupProcs = cgroup.isPresent() ? openCgroupProcs(cgroup.get()) : -1;
                try {
                    if (paused) {
                        // The child joins the frozen cgroup and stops there until resume, which takes this lock: runc
                        // holds none either. The namespaces and cgroup.procs are open already (a container made anew
                        // under this id meanwhile gets neither); the init is checked again below
                        directory.unlock();
                    }
                    started = spawnWithTerminal(context, namespaces, cgroupProcs, setgroupsAllowed, oomScore,
                            request.consoleSocket(), request.embedded() == null ? null : request.embedded().stdio());
                } finally {
                    if (cgroupProcs >= 0) {
                        Syscalls.close(cgroupProcs);
                    }
                }
                if (paused && !recorded.initAlive()) {
                    killAndReap(started);
                    throw new LaunchException("container " + id + ": its init ended while the process started",
                            EXEC_FAILED, null);
                }
            }
            if (request.pidFile() != null) {
                try {
                    directory.writePidFile(request.pidFile(), started.pid());
                } catch (LaunchException e) {
                    killAndReap(started); // nothing left behind
                    throw e;
                }
            }
            return started;
        }
    }

    /**
     * Nothing left behind of a process that must not run on: SIGKILL (it may have died already: ESRCH), reaped, its
     * pidfd and relayed terminal master closed. A failure of one step is logged and the others still run.
     */
    private static void killAndReap(Started started) {
        try {
            Syscalls.pidfdSendSignal(started.pidfd(), Signals.SIGKILL);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ESRCH) {
                LOG.log(System.Logger.Level.WARNING, "exec: killing process " + started.pid() + ": " + e.getMessage());
            }
        }
        try {
            Syscalls.wait4(started.pid(), 0);
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "exec: reaping process " + started.pid() + ": " + e.getMessage());
        }
        closeQuietly(started.pidfd());
        if (started.master() >= 0) {
            closeQuietly(started.master());
        }
    }

    private static void closeQuietly(int fd) {
        try {
            Syscalls.close(fd);
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "exec: closing fd " + fd + ": " + e.getMessage());
        }
    }

    /** The container's config with the exec'd process in it; a bad process is one line naming its field. */
    static Spec execSpec(Spec container, UnaryOperator<Process> process) {
        Spec spec = container.withProcess(process.apply(container.process()));
        List<Problem> problems = SpecValidator.validate(spec).stream().filter(p -> p.path().startsWith("process")).toList();
        if (!problems.isEmpty()) {
            Problem first = problems.get(0);
            throw new LaunchException(first.path() + ": " + first.reason());
        }
        return spec;
    }

    /** The process's uid and gids must exist in the container's user namespace (else setresuid fails with EINVAL). */
    private static void requireMapped(Spec spec, int initPid) {
        var user = spec.process().user();
        requireMapped("process.user.uid", user.uid(), initPid, "uid_map");
        requireMapped("process.user.gid", user.gid(), initPid, "gid_map");
        for (int i = 0; i < user.additionalGids().size(); i++) {
            requireMapped("process.user.additionalGids[" + i + "]", user.additionalGids().get(i), initPid, "gid_map");
        }
    }

    private static void requireMapped(String field, long id, int initPid, String map) {
        String lines;
        try {
            lines = Files.readString(Path.of("/proc", Integer.toString(initPid), map));
        } catch (IOException e) {
            throw new LaunchException("reading /proc/" + initPid + "/" + map + ": " + e.getMessage(), EXEC_FAILED, e);
        }
        for (String line : lines.strip().split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length == 3 && id >= Long.parseLong(fields[0]) && id < Long.parseLong(fields[0]) + Long.parseLong(fields[2])) {
                return;
            }
        }
        throw new LaunchException(field + ": " + id + " is not mapped in the container's user namespace (" + map + ": "
                + String.join(", ", lines.strip().lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList()) + ")");
    }

    /** Whether the container's user namespace lets its root call setgroups (rootless: "deny"); true without one. */
    private static boolean setgroupsAllowed(int initPid, ContainerNamespaces namespaces) {
        if (namespaces.joined().stream().noneMatch(n -> n.type() == CloneFlags.CLONE_NEWUSER)) {
            return true;
        }
        try {
            return Files.readString(Path.of("/proc", Integer.toString(initPid), "setgroups")).strip().equals("allow");
        } catch (IOException e) {
            throw new LaunchException("reading /proc/" + initPid + "/setgroups: " + e.getMessage(), EXEC_FAILED, e);
        }
    }

    /** The container cgroup's cgroup.procs, opened for writing: the child joins the cgroup through it. */
    private static int openCgroupProcs(ContainerCgroup cgroup) {
        try {
            return DirectoryCalls.openat(OpenFlags.AT_FDCWD, cgroup.path().resolve("cgroup.procs").toString(),
                    OpenFlags.O_WRONLY | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            throw new LaunchException("exec: " + e.getMessage(), EXEC_FAILED, e);
        }
    }

    /**
     * With process.terminal, the child makes the terminal in the container's devpts and sends its master over a
     * socket: the engine's console socket, or the launcher's own socket pair, whose master it then relays.
     */
    private static Started spawnWithTerminal(ContainerContext context, ContainerNamespaces namespaces,
                                             int cgroupProcs, boolean setgroupsAllowed,
                                             InheritedOomScore oomScore, Path consoleSocket, ChildProgram.Stdio stdio) {
        if (!Boolean.TRUE.equals(context.spec().process().terminal())) {
            return spawn(context, namespaces, cgroupProcs, setgroupsAllowed, oomScore, -1, stdio);
        }
        List<Integer> fds = new java.util.ArrayList<>();
        try {
            ConsoleSocket console = ConsoleSocket.open(consoleSocket, fds);
            Started started = spawn(context, namespaces, cgroupProcs, setgroupsAllowed, oomScore, console.childEnd(), stdio);
            // The child's copy alone from here: a child killed before it sent the master (a paused one ended by
            // delete --force) leaves no failure record, and the receive below must then see end-of-file, not hang
            fds.remove(Integer.valueOf(console.childEnd()));
            Syscalls.close(console.childEnd());
            if (console.launcherEnd() < 0) {
                return started;
            }
            try {
                return new Started(started.pid(), started.pidfd(), console.receiveMaster());
            } catch (SyscallException | LaunchException e) {
                killAndReap(started); // nothing left behind
                throw new LaunchException("exec: the terminal's master did not arrive: " + e.getMessage(), EXEC_FAILED, e);
            }
        } finally {
            fds.forEach(Syscalls::close);
        }
    }

    /** @param cgroupProcs the container cgroup's cgroup.procs (the caller's, open for writing), or -1 without one */
    private static Started spawn(ContainerContext context, ContainerNamespaces namespaces, int cgroupProcs,
                                 boolean setgroupsAllowed, InheritedOomScore oomScore, int consoleSocket,
                                 ChildProgram.Stdio stdio) {
        int hostProc = -1;
        int[] failure = null;
        try {
            // the launcher's own procfs: the child writes its LSM label there, not under the container's /proc
            hostProc = DirectoryCalls.openat(OpenFlags.AT_FDCWD, "/proc", OpenFlags.O_PATH | OpenFlags.O_DIRECTORY
                    | OpenFlags.O_CLOEXEC, 0);
            failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
            List<ExecProgram.Join> joins = namespaces.joined().stream()
                    .map(n -> new ExecProgram.Join(n.name(), n.type(), n.fd())).toList();
            ChildSteps steps = ExecProgram.compile(new ExecProgram.Request(context, joins, cgroupProcs, failure[1], setgroupsAllowed,
                    hostProc, consoleSocket, stdio));
            try (SyscallTable table = steps.table()) {
                SyscallTable.Spawned child;
                try {
                    // A copy of the JVM (no CLONE_VM), as for hooks: joining a time namespace needs unshared memory.
                    // process.oomScoreAdj: inherited from the launcher (the child is non-dumpable from its first step on),
                    // which takes its own back right after the clone, before any fork step's hand-over is awaited
                    int failureWrite = failure[1];
                    child = oomScore.during(context.spec().process().oomScoreAdj(), window ->
                            table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failureWrite,
                                    (pid, pidfd) -> window.cloned()));
                } finally {
                    Syscalls.close(failure[1]);
                    failure[1] = -1;
                }
                byte[] record = Syscalls.read(failure[0], 16);
                if (record.length > 0) {
                    Syscalls.wait4(child.pid(), 0);
                    Syscalls.close(child.pidfd());
                    throw failed(context.spec(), steps, table.decodeFailure(record));
                }
                return new Started(child.pid(), child.pidfd(), -1);
            }
        } catch (SyscallException e) {
            throw new LaunchException("exec: " + e.getMessage(), EXEC_FAILED, e);
        } finally {
            if (hostProc >= 0) {
                Syscalls.close(hostProc);
            }
            if (failure != null) {
                Syscalls.close(failure[0]);
                if (failure[1] >= 0) {
                    Syscalls.close(failure[1]);
                }
            }
        }
    }

    /** The failed step as one line, prefixed with the config field that asked for it. */
    private static LaunchException failed(Spec spec, ChildSteps steps, SyscallTable.ChildFailure failure) {
        if (failure.kind() == StepKind.EXEC && failure.isErrno()) {
            boolean missing = failure.errno() == Errno.ENOENT || failure.errno() == Errno.ENOTDIR;
            return new LaunchException("process.args[0]: " + spec.process().args().get(0) + " "
                    + (missing ? "not found in the container" : "cannot be executed") + " (" + failure.message() + ")",
                    missing ? LaunchException.NOT_FOUND : LaunchException.CANNOT_EXECUTE, null);
        }
        int step = steps.stepOfEntry(failure.index());
        String field = step < 0 ? "(" : steps.plan().steps().get(step).configField();
        return new LaunchException((field.startsWith("(") ? "" : field + ": ") + ChildProgram.failureMessage(failure),
                EXEC_FAILED, null);
    }

    /** Waits for the process, relaying the launcher's signals to it; the shell's exit status. */
    private static int await(Started started, ForwardedSignals signals) {
        TerminalRelay terminal = started.master() < 0 ? null : ConsoleSocket.relay(started.master(), null);
        try {
            if (signals != null) {
                signals.target(started.pidfd(), terminal);
            }
            Syscalls.WaitStatus status = Syscalls.wait4(started.pid(), 0);
            if (terminal != null) {
                terminal.finish(TERMINAL_DRAIN);
            }
            return status.exited() ? status.exitCode() : 128 + status.termSignal();
        } finally {
            if (signals != null) {
                signals.close();
            }
            if (terminal != null) {
                terminal.close();
            }
        }
    }
}
