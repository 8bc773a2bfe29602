package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code bulwark start ID}: lets a created container run its workload; returns at once. */
@Command(name = "start", mixinStandardHelpOptions = true,
        description = "Start a created container (its init goes on to execve). Exit status 1: no such container, or not created.")
final class StartCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        ContainerId container = ContainerId.parse(id, "ID");
        try (StateRoot root = stateRoot.openHolding(container)) {
            Container.load(root, container).start();
        }
        return 0;
    }
}
