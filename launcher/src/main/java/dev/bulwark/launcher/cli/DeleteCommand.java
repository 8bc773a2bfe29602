package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.NoSuchContainerException;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code bulwark delete [--force] ID}: removes a container: its state directory, its cgroup and its
 * init (a created or running one only with --force: the runtime spec says delete of a container that
 * is not stopped fails). Also removes what a killed launcher left behind.
 */
@Command(name = "delete", mixinStandardHelpOptions = true, description = {
        "Remove a stopped container: its cgroup and its state directory; a created or running one only with --force "
                + "(its init is killed, and with it every process of its pid namespace). A container whose launcher was "
                + "killed shows as stopped and is cleaned up here too.",
        "Exit status 1: no such container (0 with --force, as runc), or it is created or running (without --force)."},
        footer = {"", "Examples:",
                "  bulwark delete demo",
                "  bulwark delete --force demo   # kill it first"})
final class DeleteCommand implements Callable<Integer> {
    @Option(names = {"-f", "--force"}, description = "kill a created or running container first")
    boolean force;

    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        ContainerId container = ContainerId.parse(id, "ID");
        try (StateRoot root = stateRoot.openHolding(container)) {
            Container.load(root, container).delete(force);
        } catch (NoSuchContainerException e) {
            if (!force) {
                throw e;
            }
            // As runc: --force of an id that is already gone succeeds. containerd's shim runs
            // `delete --force` once more when it exits, after its own delete removed the container.
        }
        return 0;
    }
}
