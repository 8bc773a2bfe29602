package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.StateRoot;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/** The {@code --root} option every command that finds containers shares. */
final class StateRootOption {
    @Option(names = "--root", paramLabel = "DIR",
            description = "state directory root (default: /run/bulwark as root, $XDG_RUNTIME_DIR/bulwark or "
                    + "/tmp/bulwark-UID rootless); it must be yours and not writable by others")
    Path root;

    Path resolve() {
        return root != null ? root : StateRoot.defaultPath(Syscalls.geteuid());
    }

    /** The root, checked and held open; empty when it does not exist yet (no containers). */
    Optional<StateRoot> openExisting() {
        return StateRoot.open(resolve());
    }
}
