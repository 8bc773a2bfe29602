package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.ContainerNetwork;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.Prctl;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.util.ArrayList;
import java.util.List;

import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * Compiles a container's launch plan into the syscall table its child runs between clone and
 * execve. This class fixes the order; the steps themselves live in {@link RootfsSteps},
 * {@link ProcessSteps}, {@link SysctlSteps}, {@link UserNamespaceLimitSteps}, {@link MaskSteps}, {@link LsmSteps}, {@link LandlockSteps},
 * {@link CapabilitySteps} and {@link SeccompSteps}. The order matters:
 * wait for the uid/gid maps, (as root) set vm.memfd_noexec in the new pid namespace while the
 * child still has the launcher's uid, become root of the new user namespace, lower its per-user limits, build and enter the root
 * (cloning the host's /dev/null for masks before pivot_root), make / read-only, write sysctls, mask
 * and make paths read-only, label the exec for the LSM, build the Landlock ruleset (paths are opened
 * as the container sees them), set limits, drop the bounding set, set no_new_privs, enforce Landlock,
 * switch to the workload's identity and capabilities, close fds, reset signals, install seccomp last
 * (first, before the uid change, when noNewPrivileges is false), and execve. Before each group of steps
 * it names the config field that asks for them ({@link ChildSteps#field}), so that the compiled table
 * reads back as a {@link SetupPlan}.
 */
public final class ChildProgram {
    private static final int SIOCSIFFLAGS = 0x8914;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int IFF_UP = 1;

    /** The name of the narrated child's last stop: the narrator has printed every line of the launch. */
    public static final String NARRATOR_STOP = "wait for the narrator";

    /**
     * The pipes the child uses: its ends, and the parent's ends it must close.
     *
     * @param narratorRead  when narrating ({@code --explain}, {@code --trace}), the child blocks reading one
     *                      byte here before the workload's execve, until the narrator has printed every line
     *                      of the launch; -1 otherwise
     * @param narratorWrite the launcher's end of that pipe, closed by the child
     */
    public record Pipes(int syncRead, int syncWrite, int failureRead, int failureWrite, int progressRead, int progressWrite,
                        int narratorRead, int narratorWrite) {
        public Pipes(int syncRead, int syncWrite, int failureRead, int failureWrite, int progressRead, int progressWrite) {
            this(syncRead, syncWrite, failureRead, failureWrite, progressRead, progressWrite, -1, -1);
        }
    }

    /**
     * How a {@code create}d child waits for {@code start} instead of going straight to execve.
     *
     * @param readyWrite  the child writes one byte here once every setup step is done (then closes it)
     * @param execFifo    the state directory's exec.fifo, opened read-write by the launcher: the child
     *                    blocks in read(2) on it until {@code start} writes a byte
     * @param preserveFds fds 3 .. 3+preserveFds-1 stay open into the workload (--preserve-fds)
     */
    public record Detached(int readyWrite, int execFifo, int preserveFds, Stdio stdio) {
        public Detached(int readyWrite, int execFifo, int preserveFds) {
            this(readyWrite, execFifo, preserveFds, null);
        }
    }

    /**
     * The container's own standard streams instead of the launcher's (null: it inherits the launcher's).
     *
     * @param input  becomes fd 0 (/dev/null)
     * @param output becomes fd 1 (the log file of {@code run --detach}, opened O_APPEND; the Java API's pipe)
     * @param error  becomes fd 2 (the same log; the Java API's second pipe)
     */
    public record Stdio(int input, int output, int error) {
        public Stdio(int input, int output) {
            this(input, output, output);
        }
    }

    /**
     * Where the child stops so the launcher can run hooks (only when the config has such hooks): at each
     * stop it writes one byte on {@code stoppedWrite} and waits for one on {@code resumeRead}.
     *
     * @param beforePivot stop after the mounts, before pivot_root (prestart, createRuntime, createContainer)
     * @param beforeExec  stop after every setup step, before execve ({@code run}'s startContainer)
     */
    public record HookStops(int stoppedRead, int stoppedWrite, int resumeRead, int resumeWrite,
                            boolean beforePivot, boolean beforeExec) {
    }

    /**
     * Where the child stops once, right after unsharing its user namespace, so that the launcher writes
     * that namespace's id maps (only when the config creates a user namespace and joins another one:
     * {@link NamespaceJoinSteps}). As a hook stop: one byte on {@code stoppedWrite}, then one awaited on
     * {@code resumeRead}.
     */
    public record IdMapStop(int stoppedRead, int stoppedWrite, int resumeRead, int resumeWrite) {
        /** For a plan that is only read, never run (no launcher serves the stop). */
        static final IdMapStop UNSERVED = new IdMapStop(-1, -1, -1, -1);
    }

    private ChildProgram() {
    }

    /** The one-line message for a failed step of the table (with the reason where the errno alone does not say it). */
    public static String failureMessage(SyscallTable.ChildFailure failure) {
        return NamespaceJoinSteps.failureMessage(failure);
    }

    /** Whether the child needs an {@link IdMapStop}: it creates a user namespace after joining others. */
    public static boolean needsIdMapStop(Spec spec) {
        return NamespaceJoinSteps.unsharesUserAfterJoining(spec.linux());
    }

    /**
     * The clone flags: one new namespace per entry of linux.namespaces (the cgroup one comes later), none
     * when the config joins a user namespace, or creates one and joins others (the child unshares them
     * after its joins: NamespaceJoinSteps).
     */
    public static long cloneFlags(Spec spec) {
        long flags = Signals.SIGCHLD | CloneFlags.CLONE_PIDFD;
        if (NamespaceJoinSteps.unsharesAfterJoining(spec.linux())) {
            return flags;
        }
        for (var namespace : spec.linux().namespaces()) {
            if (namespace.path() != null && !namespace.path().isEmpty()) {
                continue; // joined with setns by the child (NamespaceJoinSteps)
            }
            if (namespace.type().equals("cgroup")) {
                continue; // unshared by the child once the parent has put it in its cgroup
            }
            long flag = NamespaceJoinSteps.flag(namespace.type());
            if (flag == 0) {
                throw new IllegalArgumentException("namespace " + namespace.type());
            }
            flags |= flag;
        }
        return flags;
    }

    /** @param setgroupsAllowed whether the parent left setgroups allowed (root with a full mapping) */
    public static ChildSteps compile(ContainerContext context, Pipes pipes, boolean setgroupsAllowed) {
        return compile(context, pipes, setgroupsAllowed, (Detached) null);
    }

    /**
     * @param setgroupsAllowed whether the parent left setgroups allowed (root with a full mapping)
     * @param detached null for {@code run} (the child dies with the launcher and goes on to execve);
     *                 for {@code create}, how the child reports readiness and waits for {@code start}.
     *                 A detached child never sets a parent-death signal: it must outlive {@code create}.
     */
    public static ChildSteps compile(ContainerContext context, Pipes pipes, boolean setgroupsAllowed, Detached detached) {
        return compile(context, pipes, setgroupsAllowed, detached, null, LauncherMounts.none());
    }

    /**
     * @param hookStops null without hooks that run during setup: the child never stops for the launcher
     * @param prepared  mounts the launcher made for the child to attach (idmapped clones, device nodes)
     */
    public static ChildSteps compile(ContainerContext context, Pipes pipes, boolean setgroupsAllowed, Detached detached,
                                     HookStops hookStops, LauncherMounts prepared) {
        return compile(context, pipes, setgroupsAllowed, detached, hookStops, prepared, null);
    }

    /**
     * @param idMapStop the stop for the id maps when {@link #needsIdMapStop}; null otherwise (or for a
     *                  plan that is only read)
     */
    public static ChildSteps compile(ContainerContext context, Pipes pipes, boolean setgroupsAllowed, Detached detached,
                                     HookStops hookStops, LauncherMounts prepared, IdMapStop idMapStop) {
        return compile(context, pipes, setgroupsAllowed, detached, hookStops, prepared, idMapStop, null, -1);
    }

    /**
     * @param stdio         for a foreground run: the container's own fds 0-2 (the Java API's pipes); null: the launcher's
     * @param consoleSocket with process.terminal: a connected console socket the child holds, over which it
     *                      sends its terminal's master ({@link TerminalSteps}); -1 without a terminal
     */
    public static ChildSteps compile(ContainerContext context, Pipes pipes, boolean setgroupsAllowed, Detached detached,
                                     HookStops hookStops, LauncherMounts prepared, IdMapStop idMapStop, Stdio stdio,
                                     int consoleSocket) {
        Stdio ownStdio = stdio != null ? stdio : detached != null ? detached.stdio() : null;
        boolean dieWithLauncher = detached == null;
        Spec spec = context.spec();
        Linux linux = spec.linux();
        Process process = spec.process();
        ChildSteps steps = new ChildSteps(new SyscallTable(), pipes.progressWrite());
        try {
            synchronizeWithParent(steps, pipes, dieWithLauncher, ContainerNetwork.pastaOf(spec) != null);
            if (ownStdio != null) {
                redirectStdio(steps, ownStdio);
            }
            if (hookStops != null) {
                steps.step("close the launcher's end of the hook pipes", "only the launcher reads it", "close", hookStops.stoppedRead());
                steps.step("close the launcher's end of the resume pipe", "only the launcher writes it", "close", hookStops.resumeWrite());
            }
            IdMapStop mapStop = idMapStop != null ? idMapStop : IdMapStop.UNSERVED;
            if (idMapStop != null) {
                steps.step("close the launcher's end of the id map stop pipe", "only the launcher reads it", "close", idMapStop.stoppedRead());
                steps.step("close the launcher's end of the id map resume pipe", "only the launcher writes it", "close", idMapStop.resumeWrite());
            }
            if (SysctlSteps.canForbidExecutableMemfds(context)) {
                steps.field(PlannedStep.BULWARK);
                SysctlSteps.forbidExecutableMemfds(steps); // needs the launcher's uid, which the next step gives up
            }
            steps.field("linux.namespaces");
            if (context.rootless()) {
                NamespaceJoinSteps.refuseRootlessJoinsBeforeANewUserNamespace(linux);
            }
            NamespaceJoinSteps.join(steps, linux, mapStop); // may stop for the id maps, may fork: the steps after it run in the container's init
            becomeNamespaceRoot(steps, setgroupsAllowed, dieWithLauncher, linux.hasNamespace("user"),
                    NamespaceJoinSteps.joinedUserField(linux));
            steps.field("linux.namespaces");
            if (linux.createsNamespace("cgroup")) {
                steps.step("enter a new cgroup namespace", "the container sees its own cgroup as the root of the tree",
                        "unshare", CloneFlags.CLONE_NEWCGROUP);
            }
            if (linux.createsNamespace("network")) { // a joined one is configured by whoever made it
                bringUpLoopback(steps);
            }
            steps.field("hostname");
            if (spec.hostname() != null) {
                steps.step("set hostname " + spec.hostname(), "the uts namespace has its own hostname",
                        "sethostname", steps.string(spec.hostname()), spec.hostname().length());
            }
            steps.field("domainname");
            if (spec.domainname() != null) {
                steps.step("set domainname " + spec.domainname(), "the uts namespace has its own domain name",
                        "setdomainname", steps.string(spec.domainname()), spec.domainname().length());
            }
            // After the last namespace the child creates itself, while the host's /proc is still reachable.
            if (linux.createsNamespace("user")) { // without one these would be the host's (or the joined one's) limits
                steps.field(UserNamespaceLimitSteps.FIELD);
                UserNamespaceLimitSteps.write(steps, UserNamespaceLimitSteps.forSpec(spec));
            }
            LsmSteps.requireAvailable(spec, context.lsm());
            MaskSteps masks = new MaskSteps(steps, linux.maskedPaths(), linux.readonlyPaths());
            new RootfsSteps(steps, context, prepared).compile(() -> { // sets the fields of its steps
                masks.cloneHostDevNull();
                if (hookStops != null && hookStops.beforePivot()) {
                    stopForHooks(steps, hookStops, "prestart, createRuntime and createContainer hooks",
                            !hookStops.beforeExec());
                }
            });

            if (consoleSocket >= 0) { // after pivot_root: /dev/ptmx is the container's; the master's fd is closed before Landlock's scratch fd
                TerminalSteps.compile(steps, consoleSocket, scratchFd(pipes, passedFds(context, detached)), process.consoleSize(), process.user());
            }
            ProcessSteps processSteps = new ProcessSteps(steps, spec, context.limitFallback());
            steps.field("root.readonly");
            if (spec.root() != null && Boolean.TRUE.equals(spec.root().readonly())) { // absent: writable, as the spec says
                processSteps.readOnlyRoot(context.hostUsrRoot() ? MS_NOSUID | MS_NODEV : LockedMountFlags.of(spec, context.rootfs(), 0));
            }
            steps.field("linux.rootfsPropagation");
            if (linux.rootfsPropagation() != null) {
                steps.changeMount("set propagation of / to " + linux.rootfsPropagation(), "as linux.rootfsPropagation asks",
                        "/", propagationFlags(linux.rootfsPropagation()));
            }
            steps.field("linux.sysctl");
            SysctlSteps.write(steps, linux.sysctl()); // before /proc/sys becomes read-only
            masks.apply(); // sets the fields of its steps
            LsmSteps.labelExec(steps, spec, context.lsm()); // sets the fields of its steps
            steps.field(LandlockSteps.FIELD);
            LandlockSteps landlock = LandlockSteps.forSpec(steps, context);
            SyscallTable.Entry ruleset = landlock == null ? null : landlock.buildRuleset(scratchFd(pipes, passedFds(context, detached)));
            steps.closeMountRoots(); // kept by RootfsSteps for the rules of writable mounts
            processSteps.workingDirectoryAndLimits(); // sets the fields of its steps
            ProcessAttributeSteps.compile(steps, spec); // personality, I/O priority, scheduler (still holding capabilities); sets its fields

            CapabilitySteps capabilities = new CapabilitySteps(steps, process.capabilities());
            if (!linux.hasNamespace("user")) {
                capabilities.requireHeldByLauncher(CapabilitySteps.launcherPermitted());
            }
            SeccompSteps seccomp = new SeccompSteps(steps, spec);
            steps.field("process.capabilities.bounding");
            capabilities.dropBoundingSet();
            boolean noNewPrivileges = Boolean.TRUE.equals(process.noNewPrivileges()); // absent: off, as the spec says
            steps.field("process.noNewPrivileges");
            if (noNewPrivileges) {
                steps.step("set no_new_privs", "execve can never grant privileges again (setuid bits and file capabilities are ignored)",
                        "prctl", Prctl.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            }
            if (landlock != null) {
                steps.field(LandlockSteps.FIELD);
                landlock.restrict(ruleset); // needs no_new_privs, or CAP_SYS_ADMIN which the child still holds
            }
            List<Integer> keep = new ArrayList<>(List.of(pipes.failureWrite()));
            if (pipes.progressWrite() >= 0) {
                keep.add(pipes.progressWrite());
            }
            if (pipes.narratorRead() >= 0) {
                keep.add(pipes.narratorRead());
            }
            if (hookStops != null && hookStops.beforeExec()) {
                keep.add(hookStops.stoppedWrite());
                keep.add(hookStops.resumeRead());
            }
            if (detached != null) {
                keep.add(detached.readyWrite());
                keep.add(detached.execFifo());
            }
            for (int fd = 3; fd < 3 + passedFds(context, detached); fd++) {
                keep.add(fd); // inherited across the launcher's own execve: not close-on-exec, they reach the workload
            }
            if (!noNewPrivileges) {
                // Without no_new_privs the kernel takes a filter only from a holder of CAP_SYS_ADMIN: load it
                // before capset drops that; the profile must then allow the remaining steps (the default does).
                // close_range and rt_sigaction go before it: older profiles (the conformance suite's) lack close_range.
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
            processSteps.identity(setgroupsAllowed);
            steps.field("process.capabilities");
            capabilities.setSets();
            steps.field(PlannedStep.LAUNCHER);
            if (dieWithLauncher) {
                dieWithParent(steps, "setresuid cleared the parent-death signal; set it again");
            }

            if (noNewPrivileges) {
                processSteps.closeInheritedFds(keep);
                processSteps.resetSignals();
            }
            if (detached != null) {
                // After every setup step, before the last seccomp install: read(2) and close(2) of fds
                // opened before pivot_root need no path, so neither Landlock nor the mount table can
                // refuse them, and only the execve chain runs under the filter (as in runc, whose init
                // opens its exec.fifo before seccomp). Signals are default by now: kill ends the wait.
                waitForStart(steps, detached);
            }
            if (hookStops != null && hookStops.beforeExec()) {
                stopForHooks(steps, hookStops, "startContainer hooks", true); // run's equivalent of start
            }
            if (pipes.narratorRead() >= 0) {
                waitForNarrator(steps, pipes.narratorRead());
            }
            if (noNewPrivileges) {
                steps.field("linux.seccomp");
                seccomp.install(); // last: only the execve chain below runs under the filter
            }
            steps.field("process.args");
            processSteps.exec();
            return steps;
        } catch (RuntimeException e) {
            steps.table().close();
            throw e;
        }
    }

    /** The fds from 3 up the workload inherits: the launch's (socket activation, --preserve-fds) or create's. */
    private static int passedFds(ContainerContext context, Detached detached) {
        return Math.max(context.passedFds(), detached == null ? 0 : detached.preserveFds());
    }

    /** An fd number for Landlock's rule structs: high enough to be free of the child's own opens, not a pipe nor a passed fd. */
    private static int scratchFd(Pipes pipes, int passedFds) {
        int fd = Math.max(1000, 3 + passedFds + 16);
        while (fd == pipes.failureWrite() || fd == pipes.progressWrite() || fd == pipes.syncRead() || fd == pipes.narratorRead()) {
            fd--;
        }
        return fd;
    }

    /** One stop: tell the launcher, wait for its byte (end-of-file: it died or gave up, and the read fails). */
    private static void stopForHooks(ChildSteps steps, HookStops stops, String hooks, boolean last) {
        steps.field("hooks"); // the field that asks for the stop (the caller sets its own again after it)
        long buffer = steps.memory().allocate(8);
        steps.step("stop for the " + hooks, "the launcher runs them now", "write", stops.stoppedWrite(), buffer, 1).mustEqual(1);
        steps.step("wait for the " + hooks, "they must all succeed before setup goes on",
                "read", stops.resumeRead(), buffer, 1).mustEqual(1);
        if (last) {
            steps.step("close the hook pipe", "no more stops", "close", stops.stoppedWrite());
            steps.step("close the resume pipe", "no more stops", "close", stops.resumeRead());
        }
    }

    /** First, before any step opens a file: fds 0-2 are taken, the originals go with the inherited fds above 2. */
    static void redirectStdio(ChildSteps steps, Stdio stdio) {
        if (stdio.error() != stdio.output()) { // the Java API: pipes the embedding JVM reads, never its own fds
            steps.step("stdin from launcher fd " + stdio.input(), "the container never shares the embedding JVM's streams",
                    "dup3", stdio.input(), 0, 0);
            steps.step("stdout to launcher fd " + stdio.output(), "a pipe the embedding JVM reads", "dup3", stdio.output(), 1, 0);
            steps.step("stderr to launcher fd " + stdio.error(), "a second pipe the embedding JVM reads", "dup3", stdio.error(), 2, 0);
            return;
        }
        steps.step("stdin from /dev/null (launcher fd " + stdio.input() + ")", "a detached container reads no terminal",
                "dup3", stdio.input(), 0, 0);
        steps.step("stdout to the log (launcher fd " + stdio.output() + ")", "no launcher stays to relay output: "
                + "the container appends to its state directory's log itself", "dup3", stdio.output(), 1, 0);
        steps.step("stderr to the log", "one file, both streams interleaved as written", "dup3", stdio.output(), 2, 0);
    }

    /**
     * Narrating: the last stop before the filter and execve. The narrator prints every line of the launch
     * (those of the steps below too), flushes, then writes the byte: no narration line can follow the
     * workload's first output. End-of-file (the launcher died) fails the read, and the launch.
     */
    private static void waitForNarrator(ChildSteps steps, int narratorRead) {
        steps.field(PlannedStep.LAUNCHER);
        long buffer = steps.memory().allocate(8);
        steps.step(NARRATOR_STOP, "every narration line is printed before the workload's first output",
                "read", narratorRead, buffer, 1).mustEqual(1);
        steps.step("close the narrator's pipe", "no more stops", "close", narratorRead);
    }

    private static void waitForStart(ChildSteps steps, Detached detached) {
        long buffer = steps.memory().allocate(8);
        steps.step("tell create that setup is done", "create returns once the container waits for start",
                "write", detached.readyWrite(), buffer, 1).mustEqual(1);
        steps.step("close the ready pipe", "create sees end-of-file if anything later fails", "close", detached.readyWrite());
        steps.step("wait for start on exec.fifo", "the container is created; start writes a byte to the fifo",
                "read", detached.execFifo(), buffer, 1).mustEqual(1);
        steps.step("close exec.fifo", "the workload must not reach the state directory", "close", detached.execFifo());
    }

    /**
     * @param dumpable pasta is attached while the child waits: it opens the child's /proc/PID/ns files without
     *                 CAP_SYS_PTRACE, which a non-dumpable child refuses. A JVM that launched containers before
     *                 can be non-dumpable (a credential change of a child sharing its memory made it so), and a
     *                 forked child inherits that: such a child (the launcher forks it for pasta) makes itself
     *                 dumpable first. Its later setuid and execve settle dumpability as usual.
     */
    private static void synchronizeWithParent(ChildSteps steps, Pipes pipes, boolean dieWithLauncher, boolean dumpable) {
        steps.step("close the parent's end of the sync pipe", "so the read below sees end-of-file if the launcher dies",
                "close", pipes.syncWrite());
        steps.step("close the parent's end of the failure pipe", "only the parent reads it", "close", pipes.failureRead());
        if (pipes.progressRead() >= 0) {
            steps.step("close the parent's end of the progress pipe", "only the parent reads it", "close", pipes.progressRead());
        }
        if (pipes.narratorWrite() >= 0) {
            steps.step("close the parent's end of the narrator's pipe", "only the parent writes it", "close", pipes.narratorWrite());
        }
        if (dieWithLauncher) {
            dieWithParent(steps, "the container must not outlive the launcher");
        }
        if (dumpable) {
            steps.step("make the child dumpable", "pasta opens its namespaces without CAP_SYS_PTRACE while it waits",
                    "prctl", Prctl.PR_SET_DUMPABLE, 1, 0, 0, 0);
        }
        long buffer = steps.memory().allocate(8);
        steps.step("wait for the launcher", "the launcher writes the uid/gid maps and sets up the cgroup, then releases the child",
                "read", pipes.syncRead(), buffer, 1).mustEqual(1);
        steps.step("close the sync pipe", "no longer needed", "close", pipes.syncRead());
    }

    /** @param joinedUserField the field of a joined user namespace (whose setgroups may be denied), or null */
    private static void becomeNamespaceRoot(ChildSteps steps, boolean setgroupsAllowed, boolean dieWithLauncher,
                                            boolean userNamespace, String joinedUserField) {
        // Without a user namespace the launcher is already root: the same calls then only drop its groups.
        String uidField = userNamespace ? "linux.uidMappings" : PlannedStep.LAUNCHER;
        String gidField = userNamespace ? "linux.gidMappings" : PlannedStep.LAUNCHER;
        steps.field(gidField);
        steps.step("become gid 0 of the user namespace", "setup runs as the namespace's root, which maps to an unprivileged host id",
                "setresgid", 0, 0, 0);
        steps.field(uidField);
        steps.step("become uid 0 of the user namespace", "setup runs as the namespace's root, which maps to an unprivileged host id",
                "setresuid", 0, 0, 0);
        if (setgroupsAllowed) {
            steps.field(gidField);
            steps.step(joinedUserField == null ? "drop the host's supplementary groups" : joinedUserField
                            + ": drop the host's supplementary groups (the joined user namespace must allow setgroups)",
                    "they must not follow the process into the container",
                    "setgroups", 0, 0);
        }
        if (dieWithLauncher) {
            steps.field(PlannedStep.LAUNCHER);
            dieWithParent(steps, "setresuid cleared the parent-death signal; set it again");
        }
    }

    private static void dieWithParent(ChildSteps steps, String why) {
        steps.step("die with the launcher", why, "prctl", Prctl.PR_SET_PDEATHSIG, Signals.SIGKILL, 0, 0, 0);
    }

    private static void bringUpLoopback(ChildSteps steps) {
        var socket = steps.step("open a socket to configure lo", "the new network namespace has only a loopback device, down",
                "socket", AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        long request = steps.memory().allocate(40); // struct ifreq: name[16], then ifr_flags
        NativeMemory.putBytes(request, "lo".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        NativeMemory.putInt(request + 16, IFF_UP);
        steps.step("bring up lo", "loopback works; nothing else is reachable", "ioctl", 0, SIOCSIFFLAGS, request)
                .argumentFrom(0, socket);
        steps.step("close the configuration socket", "done with it", "close", 0).argumentFrom(0, socket);
    }

    private static long propagationFlags(String propagation) {
        return switch (propagation) {
            case "private" -> MS_PRIVATE;
            case "rprivate" -> MS_PRIVATE | MS_REC;
            case "shared" -> MS_SHARED;
            case "rshared" -> MS_SHARED | MS_REC;
            case "slave" -> MS_SLAVE;
            case "rslave" -> MS_SLAVE | MS_REC;
            case "unbindable" -> MS_UNBINDABLE;
            case "runbindable" -> MS_UNBINDABLE | MS_REC;
            default -> throw new dev.bulwark.launcher.LaunchException("linux.rootfsPropagation: unknown value \"" + propagation + "\"");
        };
    }
}
