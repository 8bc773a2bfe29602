package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.Container;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code bulwark resume ID}: thaws a paused container, as runc resume. */
@Command(name = "resume", mixinStandardHelpOptions = true, description = {
        "Thaw a container that 'bulwark pause' froze (cgroup.freeze 0 in its cgroup), wait until cgroup.events says "
                + "so; its status is running again.",
        "Exit status 1: no such container, or it is not paused."},
        footer = {"", "Examples:",
                "  bulwark resume demo"})
final class ResumeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        return stateRoot.onContainer(id, Container::resume);
    }
}
