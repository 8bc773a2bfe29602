package dev.bulwark.launcher.hooks;

import dev.bulwark.config.model.Hook;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.spawn.StepKind;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Runs one hook to its end: spawned with a syscall table (no Java runs in the child, and the JVM, being
 * multithreaded, could not setns into a mount namespace itself) that optionally joins a container's
 * namespaces, puts the container's state on stdin and the launcher's stderr on stdout and stderr, closes
 * every other descriptor (a hook must not hold the caller's pipes), leads its own process group (so a
 * timeout kills what it started too), resets signals and execs
 * {@code path} with {@code args} (args[0] is argv[0]) and exactly {@code env}.
 *
 * <p>Joining a pid namespace applies only to children, so a spawn that joins one forks once more
 * with CLONE_PARENT ({@link SyscallTable#addFork}): the hook is then the launcher's own child, inside the
 * container's pid namespace; the forking process hands the hook's pid over the table's hand-over pipe
 * and exits, and {@link SyscallTable#cloneAndRun} returns the hook.
 */
final class HookProcess {
    /** A pipe holds 64 KiB: the state is written whole before the spawn, so the hook never waits on us. */
    private static final int PIPE_CAPACITY = 65536;

    private HookProcess() {
    }

    /** Runs {@code hook}; the reason it failed, or empty when it exited with status 0. */
    static Optional<String> run(Hook hook, String stateJson, ContainerNamespaces namespaces) {
        byte[] state = stateJson.getBytes(StandardCharsets.UTF_8);
        if (state.length > PIPE_CAPACITY) {
            throw new LaunchException("the container's state (" + state.length + " bytes) does not fit a pipe's "
                    + PIPE_CAPACITY + " bytes; shorten the annotations");
        }
        int[] stdin = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] failure;
        try {
            Syscalls.write(stdin[1], state);
        } finally {
            Syscalls.close(stdin[1]); // the hook reads the state, then end-of-file
        }
        try {
            failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        } catch (SyscallException e) {
            Syscalls.close(stdin[0]);
            throw e;
        }
        ChildSteps steps = new ChildSteps(new SyscallTable(), -1);
        try (SyscallTable table = steps.table()) {
            compile(steps, hook, namespaces, stdin[0], failure[1]);
            // A copy of the JVM (no CLONE_VM): joining a time namespace needs a process that shares no memory.
            SyscallTable.Spawned child;
            try {
                child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
            } finally {
                Syscalls.close(failure[1]);
                Syscalls.close(stdin[0]);
            }
            try {
                // With a fork into the pid namespace, child is the forked hook (cloneAndRun reaped the forking process)
                return awaitEnd(hook, table, child.pid(), child.pidfd(), Syscalls.read(failure[0], 16));
            } finally {
                Syscalls.close(child.pidfd());
            }
        } finally {
            Syscalls.close(failure[0]);
        }
    }

    private static Optional<String> awaitEnd(Hook hook, SyscallTable table, int pid, int pidfd, byte[] record) {
        if (record.length > 0) {
            Syscalls.wait4(pid, 0);
            SyscallTable.ChildFailure failed = table.decodeFailure(record);
            return Optional.of(failed.kind() == StepKind.EXEC && failed.isErrno()
                    ? "cannot be executed: " + Errno.describe(failed.errno()) : failed.message());
        }
        if (hook.timeout() != null && !Syscalls.pollReadable(pidfd, hook.timeout() * 1000L)) {
            try {
                Syscalls.kill(-pid, Signals.SIGKILL); // its process group: what a shell hook started goes too
            } catch (SyscallException e) {
                // the group is gone (it exited just now)
            }
            Syscalls.wait4(pid, 0);
            return Optional.of("did not finish within its timeout of " + hook.timeout() + " s (killed)");
        }
        Syscalls.WaitStatus status = Syscalls.wait4(pid, 0);
        if (status.exited() && status.exitCode() == 0) {
            return Optional.empty();
        }
        return Optional.of(status.exited() ? "exited with status " + status.exitCode() : "killed by signal " + status.termSignal());
    }

    /** Package-private for the test of its order. */
    static void compile(ChildSteps steps, Hook hook, ContainerNamespaces namespaces, int stdinRead, int failureWrite) {
        if (namespaces != null) {
            if (namespaces.joined().stream().anyMatch(n -> n.type() == CloneFlags.CLONE_NEWUSER)) {
                // Before the joins, in the launcher's user namespace: the joined one may deny setgroups, and then
                // the hook would keep the launcher's groups (root's gid 0). An unprivileged launcher cannot drop
                // them here either (EPERM), but they are only its own groups.
                var dropGroups = steps.step("drop supplementary groups", "the launcher's groups stay outside", "setgroups", 0, 0);
                if (Syscalls.geteuid() != 0) {
                    dropGroups.tolerate(Errno.EPERM);
                }
            }
            for (ContainerNamespaces.Joined namespace : namespaces.joined()) {
                steps.step("join the container's " + namespace.name() + " namespace", "the hook runs in the container's namespaces",
                        "setns", namespace.fd(), namespace.type());
            }
            if (namespaces.joined().stream().anyMatch(n -> n.type() == CloneFlags.CLONE_NEWUSER)) {
                // As the container's root, as runc's hooks run; EINVAL: root is not mapped, stay the overflow id.
                steps.step("become gid 0 of the container", "the hook acts as the container's root", "setresgid", 0, 0, 0)
                        .tolerate(Errno.EINVAL);
                steps.step("become uid 0 of the container", "the hook acts as the container's root", "setresuid", 0, 0, 0)
                        .tolerate(Errno.EINVAL);
                // Again as the container's root: an unprivileged launcher could not drop its groups before the join;
                // EPERM where the container's namespace denies setgroups (then the first drop did it, as root).
                steps.step("drop supplementary groups in the container", "the launcher's groups stay outside", "setgroups", 0, 0)
                        .tolerate(Errno.EPERM);
            }
            if (namespaces.joined().stream().anyMatch(n -> n.type() == CloneFlags.CLONE_NEWPID)) {
                // The forking process hands the hook's pid over and exits; the hook is the launcher's child (CLONE_PARENT).
                steps.fork("fork into the container's pid namespace", "setns(pid) applies only to children",
                        CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
            }
        }
        steps.step("lead a process group", "a timeout kills the hook and whatever it started", "setpgid", 0, 0);
        steps.step("state on stdin", "the hook reads the container's state", "dup3", stdinRead, 0, 0);
        steps.step("stdout to the launcher's stderr", "a hook's output never mixes with the verb's", "dup3", 2, 1, 0);
        if (failureWrite > 3) {
            steps.step("close fds 3-" + (failureWrite - 1), "the hook holds no descriptor of the launcher",
                    "close_range", 3, failureWrite - 1, 0);
        }
        steps.step("close fds from " + (failureWrite + 1), "the hook holds no descriptor of the launcher",
                "close_range", failureWrite + 1, 0xffffffffL, 0);
        long defaultAction = steps.memory().allocate(32); // kernel sigaction: SIG_DFL, no flags, empty mask
        for (int signal = 1; signal <= Signals.SIGRTMAX; signal++) {
            if (signal != Signals.SIGKILL && signal != Signals.SIGSTOP) {
                steps.step("reset handler of signal " + signal, "no handler of the launcher survives into the hook",
                        "rt_sigaction", signal, defaultAction, 0, 8).tolerate(Errno.EINVAL);
            }
        }
        steps.step("unblock all signals", "the spawn blocked them; the hook starts with an empty mask", "rt_sigprocmask",
                Syscalls.SIG_SETMASK, steps.memory().allocate(8), 0, 8);
        List<String> args = hook.args().isEmpty() ? List.of(hook.path()) : hook.args();
        steps.step("execute " + hook.path(), "run the hook", "execve", steps.string(hook.path()),
                steps.memory().cStringArray(args), steps.memory().cStringArray(hook.env())).kind(StepKind.EXEC);
    }
}
