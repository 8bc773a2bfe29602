package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.StateRoot;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The state root every command that finds containers uses: the global {@code bulwark --root DIR},
 * or this command's own {@code --root} (kept as an alias).
 */
final class StateRootOption {
    @Option(names = "--root", paramLabel = "DIR",
            description = "state directory root (as the global --root; default: /run/bulwark as root, "
                    + "$XDG_RUNTIME_DIR/bulwark or /tmp/bulwark-UID rootless); it must be yours and not writable by others")
    Path root;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    Path resolve() {
        if (root != null) {
            return root;
        }
        Object top = command == null ? null : command.root().userObject();
        if (top instanceof BulwarkCli cli && cli.root != null) {
            return cli.root;
        }
        return StateRoot.defaultPath(Syscalls.geteuid());
    }

    /** The root, checked and held open; empty when it does not exist yet (no containers). */
    Optional<StateRoot> openExisting() {
        return StateRoot.open(resolve());
    }

    /** The root that holds {@code container}; with no root at all, the container does not exist either. */
    StateRoot openHolding(dev.bulwark.launcher.runtime.ContainerId container) {
        return openExisting().orElseThrow(() -> new dev.bulwark.launcher.runtime.NoSuchContainerException(container));
    }
}
