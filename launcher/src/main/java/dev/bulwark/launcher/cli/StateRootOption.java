package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.NoSuchContainerException;
import dev.bulwark.launcher.runtime.StateRoot;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

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
    StateRoot openHolding(ContainerId container) {
        return openExisting().orElseThrow(() -> new NoSuchContainerException(container));
    }

    /** Applies one verb to the container the ID names (the ID is parsed before any path is built from it); exit status 0. */
    int onContainer(String id, Consumer<Container> verb) {
        ContainerId container = ContainerId.parse(id, "ID");
        try (StateRoot root = openHolding(container)) {
            verb.accept(Container.load(root, container));
        }
        return 0;
    }
}
