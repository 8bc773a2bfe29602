package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.StateDirectory;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code bulwark list}: every container directory under the state root, with its current status:
 * "stopped" for those a killed launcher left (remove them with {@code bulwark delete ID}).
 */
@Command(name = "list", description = "List containers: id, status, pid.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        System.out.printf("%-24s %-9s %8s%n", "ID", "STATUS", "PID");
        Optional<StateRoot> opened = stateRoot.openExisting();
        if (opened.isEmpty()) {
            return 0;
        }
        try (StateRoot root = opened.get()) {
            for (ContainerId id : root.ids()) {
                try {
                    StateDirectory.find(root, id).ifPresent(state ->
                            System.out.printf("%-24s %-9s %8d%n", id, state.effectiveStatus(), state.pid()));
                } catch (LaunchException e) {
                    // one unreadable directory does not hide the others; `bulwark state ID` says what is wrong
                    System.out.printf("%-24s %-9s %8s%n", id, "invalid", "-");
                }
            }
        }
        return 0;
    }
}
