package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.StateDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code bulwark delete ID}: removes what a killed launcher left behind: the state directory, and the
 * cgroup with anything still in it (the container's init died with its launcher; without a pid
 * namespace its descendants may not have). A container whose launcher still runs is refused: stop it
 * through its launcher (signals are forwarded).
 */
@Command(name = "delete", description = "Remove the state of a container whose launcher is gone.")
final class DeleteCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        Path root = stateRoot.resolve();
        ContainerState state = StateDirectory.read(root, id);
        if (state.launcherAlive()) {
            throw new LaunchException("container " + id + ": its launcher (pid " + state.launcherPid()
                    + ") is running; send it SIGTERM or SIGKILL instead");
        }
        StateDirectory.removeStale(root, id);
        return 0;
    }
}
