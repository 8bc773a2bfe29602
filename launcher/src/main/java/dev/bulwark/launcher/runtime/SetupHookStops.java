package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.hooks.HookKind;
import dev.bulwark.launcher.hooks.HookRunner;
import dev.bulwark.launcher.setup.ChildProgram;

/**
 * The launcher's side of the child's stops for hooks during setup: before pivot_root it runs prestart
 * and createRuntime (in its own namespaces) and createContainer (in the container's), and, for
 * {@code run}, startContainer before the workload's execve. Exists only when the config has such
 * hooks: without them the child never stops and a launch costs what it did.
 */
final class SetupHookStops implements AutoCloseable {
    private final HookRunner hooks;
    private final StopPipes pipes;
    private final ChildProgram.HookStops stops;

    private SetupHookStops(HookRunner hooks, StopPipes pipes, boolean beforePivot, boolean beforeExec) {
        this.hooks = hooks;
        this.pipes = pipes;
        this.stops = new ChildProgram.HookStops(pipes.stoppedRead(), pipes.stoppedWrite(), pipes.resumeRead(),
                pipes.resumeWrite(), beforePivot, beforeExec);
    }

    /** The stops {@code hooks} need (for {@code create}, startContainer runs from {@code start}); null for none. */
    static SetupHookStops plan(HookRunner hooks, boolean detached) {
        boolean beforePivot = hooks.has(HookKind.PRESTART, HookKind.CREATE_RUNTIME, HookKind.CREATE_CONTAINER);
        boolean beforeExec = !detached && hooks.has(HookKind.START_CONTAINER);
        if (!beforePivot && !beforeExec) {
            return null;
        }
        return new SetupHookStops(hooks, StopPipes.open(), beforePivot, beforeExec);
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
        pipes.closeChildEnds(); // end-of-file on the stop pipe once the child is gone
        if (!pipes.awaitStop()) {
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
            pipes.resume("its hooks ran");
        }
        if (stops.beforeExec()) {
            if (!stopped && !pipes.awaitStop()) {
                return;
            }
            hooks.run(HookKind.START_CONTAINER, cloned.ociJson("created"), pid, init::alive);
            pipes.resume("its hooks ran");
        }
    }

    @Override
    public void close() {
        pipes.close();
    }
}
