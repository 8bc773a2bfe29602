package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.NoSuchContainerException;
import dev.bulwark.launcher.runtime.StateDirectory;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code bulwark delete ID}: removes what a killed launcher left behind: the container's init if it
 * outlived the launcher, the cgroup with anything still in it, and the state directory. A container
 * whose launcher still runs is refused: stop it through its launcher (signals are forwarded).
 */
@Command(name = "delete", description = "Remove the state of a container whose launcher is gone "
        + "(killing what is left of it). Exit status 1: no such container.")
final class DeleteCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        ContainerId container = ContainerId.parse(id, "ID");
        try (StateRoot root = stateRoot.openExisting().orElseThrow(() -> new NoSuchContainerException(container))) {
            StateDirectory.delete(root, container);
        }
        return 0;
    }
}
