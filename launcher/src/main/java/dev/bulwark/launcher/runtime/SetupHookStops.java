package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.hooks.HookKind;
import dev.bulwark.launcher.hooks.HookRunner;
import dev.bulwark.launcher.setup.ChildProgram;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

/**
 * The launcher's side of the child's stops for hooks during setup: before pivot_root it runs prestart
 * and createRuntime (in its own namespaces) and createContainer (in the container's), and, for
 * {@code run}, startContainer before the workload's execve. Exists only when the config has such
 * hooks: without them the child never stops and a launch costs what it did.
 */
final class SetupHookStops implements AutoCloseable {
    private static final byte RESUME = 1;

    private final HookRunner hooks;
    private final ChildProgram.HookStops stops;
    private final int[] fds;

    private SetupHookStops(HookRunner hooks, ChildProgram.HookStops stops) {
        this.hooks = hooks;
        this.stops = stops;
        this.fds = new int[] {stops.stoppedRead(), stops.stoppedWrite(), stops.resumeRead(), stops.resumeWrite()};
    }

    /** The stops {@code hooks} need (for {@code create}, startContainer runs from {@code start}); null for none. */
    static SetupHookStops plan(HookRunner hooks, boolean detached) {
        boolean beforePivot = hooks.has(HookKind.PRESTART, HookKind.CREATE_RUNTIME, HookKind.CREATE_CONTAINER);
        boolean beforeExec = !detached && hooks.has(HookKind.START_CONTAINER);
        if (!beforePivot && !beforeExec) {
            return null;
        }
        int[] stopped = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] resume;
        try {
            resume = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        } catch (SyscallException e) {
            Syscalls.close(stopped[0]);
            Syscalls.close(stopped[1]);
            throw e;
        }
        return new SetupHookStops(hooks, new ChildProgram.HookStops(stopped[0], stopped[1], resume[0], resume[1],
                beforePivot, beforeExec));
    }

    ChildProgram.HookStops stops() {
        return stops;
    }

    /**
     * Serves the child's stops, from the launcher's work between clone and the end of setup. Returns
     * early if the child ends before a stop (its failure record says why); throws, naming the hook, if
     * one fails: the caller then kills the child.
     *
     * @param atFirstStop the container's state with its init's pid (status "creating"), asked for once the
     *                    child has stopped: after a fork step the init is the process it forked
     */
    void serve(java.util.function.Supplier<ContainerState> atFirstStop) {
        closeOnce(1); // the child's ends: end-of-file on the stop pipe once the child is gone
        closeOnce(2);
        if (!awaitStop()) {
            return;
        }
        ContainerState cloned = atFirstStop.get();
        int pid = cloned.pid();
        ProcessIdentity init = new ProcessIdentity(pid, cloned.pidStartTime());
        boolean stopped = true;
        if (stops.beforePivot()) {
            stopped = false;
            String creating = cloned.ociJson("creating");
            hooks.run(HookKind.PRESTART, creating, pid, init::alive);
            hooks.run(HookKind.CREATE_RUNTIME, creating, pid, init::alive);
            hooks.run(HookKind.CREATE_CONTAINER, creating, pid, init::alive);
            resume();
        }
        if (stops.beforeExec()) {
            if (!stopped && !awaitStop()) {
                return;
            }
            hooks.run(HookKind.START_CONTAINER, cloned.ociJson("created"), pid, init::alive);
            resume();
        }
    }

    private boolean awaitStop() {
        return Syscalls.read(stops.stoppedRead(), 1).length == 1;
    }

    private void resume() {
        try {
            Syscalls.write(stops.resumeWrite(), new byte[] {RESUME});
        } catch (SyscallException e) {
            throw new LaunchException("the container's init ended while its hooks ran: " + e.getMessage(), e);
        }
    }

    private void closeOnce(int index) {
        if (fds[index] >= 0) {
            Syscalls.close(fds[index]);
            fds[index] = -1;
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < fds.length; i++) {
            try {
                closeOnce(i);
            } catch (SyscallException e) {
                fds[i] = -1; // already closed on an error path
            }
        }
    }
}
