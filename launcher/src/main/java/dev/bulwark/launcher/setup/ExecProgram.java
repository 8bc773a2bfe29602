package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.Prctl;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.util.ArrayList;
import java.util.List;

/**
 * Compiles {@code exec}'s child: a new process inside a running container, as a syscall table (no Java
 * runs in the child). It first makes itself non-dumpable (see {@link #compile}), then joins the container's cgroup (writing 0 to its cgroup.procs, before anything
 * else, so nothing runs outside it), then every namespace of the container's init that differs from the
 * launcher's (the user one first among those it owns; setns of the mount namespace makes the container's
 * root the root and the working directory), forks once more with CLONE_PARENT when it joined a pid
 * namespace (setns(pid) applies only to children; the new process is the launcher's child), closes every fd
 * but the failure pipe and the preserved ones (and the host's /proc until the LSM label is written and it is
 * closed, before a terminal is opened: no host directory is open while a container path is resolved), and then
 * confines itself exactly as the init did, in {@link ChildProgram}'s order, from the container's recorded
 * config with the exec'd process in {@code process}: LSM label, Landlock rules (opened inside the
 * container's root), working directory, umask, rlimits, a new session, process attributes, bounding set,
 * no_new_privs, Landlock enforced, fds closed, signals reset, seccomp (last with no_new_privs, before the
 * uid change without), user and groups, capabilities, execve. Nothing namespace-wide is done again
 * (mounts, sysctls, hostname, id maps): the container has them already.
 */
public final class ExecProgram {
    /** A namespace of the container's init to join: its /proc/PID/ns name, CLONE_NEW* type and open descriptor. */
    public record Join(String name, long type, int fd) {
    }

    /**
     * @param namespaces       the init's namespaces to join, in joining order (user before those it owns)
     * @param cgroupProcs      the container's cgroup.procs opened for writing, or -1 when it has no cgroup
     * @param failureWrite     the table's failure pipe (close-on-exec: end-of-file at execve means success)
     * @param setgroupsAllowed whether the container's user namespace allows setgroups (or there is none)
     * @param hostProc         the launcher's /proc (a procfs directory fd) for the LSM label writes, or -1 (/proc by path)
     * @param consoleSocket    with process.terminal: a connected socket the terminal's master is sent over
     *                         ({@link TerminalSteps}), else -1
     * @param stdio            the process's own fds 0-2 (the Java API's pipes), or null: it inherits the launcher's
     */
    public record Request(ContainerContext context, List<Join> namespaces, int cgroupProcs, int failureWrite,
                          boolean setgroupsAllowed, int hostProc, int consoleSocket, ChildProgram.Stdio stdio) {
        /** Without a terminal, with the launcher's stdio. */
        public Request(ContainerContext context, List<Join> namespaces, int cgroupProcs, int failureWrite,
                       boolean setgroupsAllowed, int hostProc) {
            this(context, namespaces, cgroupProcs, failureWrite, setgroupsAllowed, hostProc, -1, null);
        }
    }

    private ExecProgram() {
    }

    public static ChildSteps compile(Request request) {
        ContainerContext context = request.context();
        Spec spec = context.spec();
        Process process = spec.process();
        ChildSteps steps = new ChildSteps(new SyscallTable(), -1);
        try {
            steps.field(PlannedStep.LAUNCHER);
            // First: the child is a copy of the launcher holding its host fds (state directory, root), and once in
            // the container's namespaces with its credentials a container process could ptrace it or write its
            // /proc/PID/mem (the table still to run). Non-dumpable, only the host's root can; execve restores
            // dumpability for the new image. Nothing later needs it: no step opens this process's /proc files
            // (an LSM label goes through /proc/thread-self/attr, which a non-dumpable task may still write).
            steps.step("make the process non-dumpable", "no container process can ptrace it or read its memory or fds "
                    + "before execve", "prctl", Prctl.PR_SET_DUMPABLE, 0, 0, 0, 0);
            // Until the joins: a paused container's cgroup freezes the process here until resume, and a launcher
            // killed meanwhile must not leave it to run on unawaited. The cloning thread waits until execve.
            steps.step("die with the launcher", "it may stop in a frozen cgroup until resume; a killed launcher ends it",
                    "prctl", Prctl.PR_SET_PDEATHSIG, Signals.SIGKILL, 0, 0, 0);
            steps.step("check the launcher is alive", "one that died before the step above sends no signal",
                    "getppid").mustEqual(Syscalls.getpid());
            if (request.cgroupProcs() >= 0) {
                steps.step("join the container's cgroup", "the process counts against the container's limits",
                        "write", request.cgroupProcs(), steps.string("0"), 1).mustEqual(1);
                steps.step("close cgroup.procs", "done with it", "close", request.cgroupProcs());
            }
            joinNamespaces(steps, request.namespaces());
            // (the forked process has none: a fork clears it) an exec'd process outlives the launcher, as runc's does
            steps.step("no longer die with the launcher", "the process runs on after exec --detach's launcher exits",
                    "prctl", Prctl.PR_SET_PDEATHSIG, 0, 0, 0, 0);
            if (request.stdio() != null) { // before the inherited fds are closed: the originals are above 2
                ChildProgram.redirectStdio(steps, request.stdio());
            }
            List<Integer> keep = new ArrayList<>(List.of(request.failureWrite()));
            for (int fd = 3; fd < 3 + context.passedFds(); fd++) {
                keep.add(fd); // --preserve-fds: the caller's, not close-on-exec
            }
            ProcessSteps processSteps = new ProcessSteps(steps, spec, List.of()); // the recorded rlimits hold the fallbacks
            List<Integer> keepEarly = new ArrayList<>(keep);
            if (request.hostProc() >= 0) {
                keepEarly.add(request.hostProc());
            }
            if (request.consoleSocket() >= 0) {
                keepEarly.add(request.consoleSocket());
            }
            processSteps.closeInheritedFds(keepEarly); // the namespace fds are used: nothing else of the launcher's stays open
            LsmSteps.requireAvailable(spec, context.lsm());
            LsmSteps.labelExec(steps, spec, context.lsm(), request.hostProc()); // sets the fields of its steps; applies at execve
            if (request.hostProc() >= 0) {
                steps.field(PlannedStep.LAUNCHER);
                steps.step("close the launcher's /proc", "the labels are written; no host directory stays open while the "
                        + "container's paths are resolved", "close", request.hostProc());
            }
            if (request.consoleSocket() >= 0) { // in the container's mount namespace, the host's /proc closed: its own devpts
                TerminalSteps.compile(steps, request.consoleSocket(), masterFd(request), process.consoleSize(), process.user());
            }
            steps.field(LandlockSteps.FIELD);
            LandlockSteps landlock = LandlockSteps.forSpec(steps, context);
            if (landlock != null) {
                landlock = landlock.withoutScopes(joinedScopes(request.namespaces()));
            }
            SyscallTable.Entry ruleset = landlock == null ? null
                    : landlock.buildRuleset(scratchFd(request.failureWrite(), context.passedFds()));
            processSteps.workingDirectoryAndLimits(); // sets the fields of its steps
            ProcessAttributeSteps.compile(steps, spec);

            CapabilitySteps capabilities = new CapabilitySteps(steps, process.capabilities());
            if (request.namespaces().stream().noneMatch(n -> n.type() == CloneFlags.CLONE_NEWUSER)) {
                capabilities.requireHeldByLauncher(CapabilitySteps.launcherPermitted());
            }
            SeccompSteps seccomp = new SeccompSteps(steps, spec);
            steps.field("process.capabilities.bounding");
            capabilities.dropBoundingSet();
            boolean noNewPrivileges = Boolean.TRUE.equals(process.noNewPrivileges());
            steps.field("process.noNewPrivileges");
            if (noNewPrivileges) {
                steps.step("set no_new_privs", "execve can never grant privileges again (setuid bits and file capabilities are ignored)",
                        "prctl", Prctl.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            }
            if (landlock != null) {
                steps.field(LandlockSteps.FIELD);
                landlock.restrict(ruleset);
            }
            if (!noNewPrivileges) { // as the init: the kernel takes the filter only while CAP_SYS_ADMIN is held
                steps.field(PlannedStep.LAUNCHER);
                processSteps.closeInheritedFds(keep);
                processSteps.resetSignals();
                steps.field("linux.seccomp");
                seccomp.install();
            }
            long uid = process.user() == null ? 0 : process.user().uid();
            steps.field("process.capabilities");
            if (uid != 0 && capabilities.keepsAny()) {
                capabilities.keepCapsAcrossUidChange();
            }
            steps.field("process.user");
            processSteps.identity(request.setgroupsAllowed());
            steps.field("process.capabilities");
            capabilities.setSets();
            if (noNewPrivileges) {
                steps.field(PlannedStep.LAUNCHER);
                processSteps.closeInheritedFds(keep);
                processSteps.resetSignals();
                steps.field("linux.seccomp");
                seccomp.install(); // last: only the execve chain runs under the filter
            }
            steps.field("process.args");
            processSteps.exec();
            return steps;
        } catch (RuntimeException e) {
            steps.table().close();
            throw e;
        }
    }

    private static void joinNamespaces(ChildSteps steps, List<Join> namespaces) {
        boolean user = namespaces.stream().anyMatch(n -> n.type() == CloneFlags.CLONE_NEWUSER);
        if (user) {
            // In the launcher's user namespace, before the joins: the container's may deny setgroups, and the
            // process would keep the launcher's groups. An unprivileged launcher cannot (EPERM); they are its own.
            var dropGroups = steps.step("drop supplementary groups", "the launcher's groups stay outside", "setgroups", 0, 0);
            if (Syscalls.geteuid() != 0) {
                dropGroups.tolerate(Errno.EPERM);
            }
        }
        for (Join namespace : namespaces) {
            steps.step("join the container's " + namespace.name() + " namespace", "the process runs in the container's namespaces",
                    "setns", namespace.fd(), namespace.type());
        }
        if (namespaces.stream().anyMatch(n -> n.type() == CloneFlags.CLONE_NEWPID)) {
            // The forking process hands the new pid over and exits; the new process is the launcher's child.
            steps.fork("fork into the container's pid namespace", "setns(pid) applies only to children",
                    CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
        }
    }

    /**
     * The Landlock scopes a joined namespace already gives: signals reach only the pid namespace's processes,
     * abstract unix sockets are the network namespace's. In those the exec'd process keeps the init's reach
     * (kill -HUP 1, a client of the init's abstract socket) though its Landlock domain is not the init's.
     */
    private static long joinedScopes(List<Join> namespaces) {
        long scopes = 0;
        for (Join namespace : namespaces) {
            if (namespace.type() == CloneFlags.CLONE_NEWPID) {
                scopes |= LandlockSteps.SCOPE_SIGNAL;
            } else if (namespace.type() == CloneFlags.CLONE_NEWNET) {
                scopes |= LandlockSteps.SCOPE_ABSTRACT_UNIX_SOCKET;
            }
        }
        return scopes;
    }

    /** A free fd number for the terminal's master while it is sent (closed before Landlock's scratch fd is used). */
    private static int masterFd(Request request) {
        int fd = scratchFd(request.failureWrite(), request.context().passedFds());
        while (fd == request.failureWrite() || fd == request.hostProc() || fd == request.consoleSocket()) {
            fd--;
        }
        return fd;
    }

    /** An fd number for Landlock's rule structs: above the passed fds, never the failure pipe. */
    private static int scratchFd(int failureWrite, int passedFds) {
        int fd = Math.max(1000, 3 + passedFds + 16);
        return fd == failureWrite ? fd - 1 : fd;
    }
}
