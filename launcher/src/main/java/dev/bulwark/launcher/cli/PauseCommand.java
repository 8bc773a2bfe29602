package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.Container;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code bulwark pause ID}: freezes a running container's processes (cgroup v2 freezer), as runc pause. */
@Command(name = "pause", mixinStandardHelpOptions = true, description = {
        "Freeze every process of a created or running container with the cgroup v2 freezer (cgroup.freeze in its "
                + "cgroup), and wait until cgroup.events says frozen; its status is then paused until 'bulwark resume' "
                + "(a container paused before start is created again). kill KILL and delete --force still end a paused "
                + "container.",
        "Exit status 1: no such container, it is neither created nor running, or it has no cgroup of its own (on hosts where its "
                + "limits could not go in a cgroup it shares its launcher's, which must not be frozen)."},
        footer = {"", "Examples:",
                "  bulwark pause demo",
                "  bulwark pause demo && bulwark state demo | grep status"})
final class PauseCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        return stateRoot.onContainer(id, Container::pause);
    }
}
