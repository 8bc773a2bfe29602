package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.StateDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code bulwark list}: the containers this user's launchers are running. */
@Command(name = "list", description = "List containers: id, status, pid.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() throws IOException {
        Path root = stateRoot.resolve();
        System.out.printf("%-24s %-9s %8s%n", "ID", "STATUS", "PID");
        if (!Files.isDirectory(root)) {
            return 0;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                if (Files.exists(dir.resolve("state.json"))) {
                    ContainerState state = StateDirectory.read(root, dir.getFileName().toString());
                    String status = state.launcherAlive() ? state.status() : "stopped"; // its launcher was killed; the kernel killed the container
                    System.out.printf("%-24s %-9s %8d%n", state.id(), status, state.pid());
                }
            }
        }
        return 0;
    }
}
