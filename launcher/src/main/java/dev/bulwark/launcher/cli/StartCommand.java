package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.Container;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code bulwark start ID}: lets a created container run its workload; returns at once. */
@Command(name = "start", mixinStandardHelpOptions = true,
        description = {"Start a created container: one byte written to its exec.fifo lets the waiting init go on to "
                + "execve the workload, and the command returns at once (the second half of runc's create/start; "
                + "'bulwark run' does both and waits).",
                "Exit status 1: no such container, or not created."},
        footer = {"", "Examples:",
                "  bulwark create -b mybundle demo && bulwark start demo",
                "  bulwark --root /tmp/state start demo   # a container made with that state root"})
final class StartCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        return stateRoot.onContainer(id, Container::start);
    }
}
