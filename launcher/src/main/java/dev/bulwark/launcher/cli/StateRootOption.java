package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.StateDirectory;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --root} option every command that finds containers shares. */
final class StateRootOption {
    @Option(names = "--root", paramLabel = "DIR",
            description = "state directory root (default: /run/bulwark as root, $XDG_RUNTIME_DIR/bulwark rootless)")
    Path root;

    Path resolve() {
        return root != null ? root : StateDirectory.defaultRoot(Syscalls.geteuid());
    }
}
