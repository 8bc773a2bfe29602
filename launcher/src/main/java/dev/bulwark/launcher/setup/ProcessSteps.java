package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.model.User;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.constants.Rlimits;
import dev.bulwark.nativ.constants.Signals;

import dev.bulwark.nativ.spawn.StepKind;
import java.util.ArrayList;
import java.util.List;

import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * The process side of the child, after pivot_root: final mount hardening, working directory and
 * limits, the workload's identity, closing inherited fds, resetting signals, and execve.
 */
final class ProcessSteps {
    private final ChildSteps steps;
    private final Spec spec;
    private final Process process;
    private final List<PosixRlimit> limitFallback;

    /** @param limitFallback rlimits standing in for default cgroup limits this host cannot apply */
    ProcessSteps(ChildSteps steps, Spec spec, List<PosixRlimit> limitFallback) {
        this.steps = steps;
        this.spec = spec;
        this.process = spec.process();
        this.limitFallback = limitFallback;
    }

    /** Remounts / read-only: the bind keeps the source's locked flags, a tmpfs root keeps nosuid,nodev. */
    void readOnlyRoot(long lockedFlags) {
        steps.changeMount("remount / read-only", "the container cannot modify its root filesystem",
                "/", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV | lockedFlags);
    }

    void workingDirectoryAndLimits() {
        steps.field("process.cwd");
        steps.chdir(process.cwd(), "the workload's working directory, resolved inside the new root");
        User user = process.user();
        long umask = user == null || user.umask() == null ? 022 : user.umask();
        steps.field("process.user.umask");
        steps.step("set umask " + Long.toOctalString(umask), "default permissions of files the workload creates",
                "umask", umask);
        List<PosixRlimit> rlimits = process.rlimits();
        for (int i = 0; i < rlimits.size(); i++) {
            PosixRlimit limit = rlimits.get(i);
            int index = i;
            int resource = Rlimits.number(limit.type()).orElseThrow(() ->
                    new LaunchException("process.rlimits[" + index + "].type: unknown resource \"" + limit.type() + "\""));
            steps.field("process.rlimits[" + i + "]");
            setRlimit(limit, resource, "", "a resource limit the config asks for");
        }
        steps.field("linux.resources"); // the default cgroup limits these stand in for
        for (PosixRlimit limit : limitFallback) {
            setRlimit(limit, Rlimits.number(limit.type()).orElseThrow(), " (default limit)",
                    "stands in for a default cgroup limit this host cannot apply");
        }
        steps.field("process.terminal");
        if (!Boolean.TRUE.equals(process.terminal())) {
            steps.step("start a new session", "the workload has no controlling terminal it could inject input into",
                    "setsid");
        }
    }

    private void setRlimit(PosixRlimit limit, int resource, String note, String why) {
        long value = steps.memory().allocate(16);
        NativeMemory.putLong(value, limit.soft());
        NativeMemory.putLong(value + 8, limit.hard());
        steps.step("set " + limit.type() + " " + Long.toUnsignedString(limit.soft()) + "/" + Long.toUnsignedString(limit.hard()) + note,
                why, "prlimit64", 0, resource, value, 0);
    }

    /** setgroups (when the namespace allows it), setresgid, setresuid to the workload's identity. */
    void identity(boolean setgroupsAllowed) {
        User user = process.user();
        long uid = user == null ? 0 : user.uid();
        long gid = user == null ? 0 : user.gid();
        List<Long> groups = user == null ? List.of() : user.additionalGids();
        if (setgroupsAllowed) {
            long array = steps.memory().allocate(4L * Math.max(groups.size(), 1));
            for (int i = 0; i < groups.size(); i++) {
                NativeMemory.putInt(array + 4L * i, (int) (long) groups.get(i));
            }
            steps.step("set supplementary groups " + groups, "drop the host's groups; keep only the configured ones",
                    "setgroups", groups.size(), array);
        } else if (!groups.isEmpty()) {
            throw new LaunchException("process.user.additionalGids: a rootless container cannot set supplementary groups");
        }
        steps.step("set gid " + gid, "the workload's group", "setresgid", gid, gid, gid);
        steps.step("set uid " + uid, "the workload's user", "setresuid", uid, uid, uid);
    }

    /** Closes every inherited fd above stderr except those listed (they are O_CLOEXEC). */
    void closeInheritedFds(List<Integer> keep) {
        List<Integer> sorted = new ArrayList<>(keep);
        sorted.sort(null);
        long from = 3;
        for (int fd : sorted) {
            if (fd > from) {
                steps.step("close inherited fds " + from + "-" + (fd - 1), "the workload must not reach the launcher's files",
                        "close_range", from, fd - 1, 0);
            }
            from = Math.max(from, fd + 1L);
        }
        steps.step("close inherited fds " + from + " and up", "the workload must not reach the launcher's files",
                "close_range", from, 0xffffffffL, 0);
    }

    /** Every signal back to its default action, then unblock them all (the clone happened with all blocked). */
    void resetSignals() {
        long defaultAction = steps.memory().allocate(32); // kernel sigaction: handler SIG_DFL = 0, no flags, empty mask
        for (int signal = 1; signal <= Signals.SIGRTMAX; signal++) {
            if (signal == Signals.SIGKILL || signal == Signals.SIGSTOP) {
                continue;
            }
            steps.step("reset handler of signal " + signal, "no handler of the launcher survives into the workload",
                    "rt_sigaction", signal, defaultAction, 0, 8).tolerate(Errno.EINVAL);
        }
        long emptyMask = steps.memory().allocate(8);
        steps.step("unblock all signals", "the workload starts with an empty signal mask", "rt_sigprocmask",
                dev.bulwark.nativ.Syscalls.SIG_SETMASK, emptyMask, 0, 8);
    }

    /**
     * execve of process.args, searching PATH like execvp when args[0] has no slash: each candidate is
     * tried in turn, a missing one (ENOENT) moves on, and the last one's error is the verdict.
     */
    void exec() {
        List<String> args = process.args();
        String program = args.get(0);
        long argv = steps.memory().cStringArray(args);
        long envp = steps.memory().cStringArray(process.env());
        List<String> candidates = candidates(program);
        for (int i = 0; i < candidates.size(); i++) {
            String candidate = candidates.get(i);
            var entry = steps.step("execute " + candidate, "replace the prepared child with the workload",
                    "execve", steps.string(candidate), argv, envp).kind(StepKind.EXEC);
            if (i < candidates.size() - 1) {
                // As execvp: a candidate that is missing, not a directory on the way, or not executable is skipped.
                entry.tolerate(Errno.ENOENT).tolerate(Errno.ENOTDIR).tolerate(Errno.EACCES);
            }
        }
    }

    private List<String> candidates(String program) {
        if (program.contains("/")) {
            return List.of(program);
        }
        String path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (String variable : process.env()) {
            if (variable.startsWith("PATH=")) {
                path = variable.substring(5);
            }
        }
        List<String> candidates = new ArrayList<>();
        for (String dir : path.split(":")) {
            candidates.add((dir.isEmpty() ? "." : dir) + "/" + program);
        }
        return candidates;
    }
}
