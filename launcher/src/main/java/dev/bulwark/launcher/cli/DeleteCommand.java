package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code bulwark delete [--force] ID}: removes a container: its state directory, its cgroup and its
 * init (a created container's waiting init; a running one's only with --force). Also removes what a
 * killed launcher left behind.
 */
@Command(name = "delete", mixinStandardHelpOptions = true, description = {
        "Remove a stopped or created container (its init, cgroup and state); a running one only with --force.",
        "Exit status 1: no such container, or it is running."})
final class DeleteCommand implements Callable<Integer> {
    @Option(names = {"-f", "--force"}, description = "kill a running container first")
    boolean force;

    @Parameters(paramLabel = "ID")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        ContainerId container = ContainerId.parse(id, "ID");
        try (StateRoot root = stateRoot.openHolding(container)) {
            Container.load(root, container).delete(force);
        }
        return 0;
    }
}
