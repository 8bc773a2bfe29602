package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.launcher.runtime.StateDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code bulwark state ID}: prints a running container's state as JSON, for inspection from outside. */
@Command(name = "state", description = "Print a container's state (id, status, pid, namespaces, id maps) as JSON.")
final class StateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() throws Exception {
        Path root = stateRoot.resolve();
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(StateDirectory.read(root, id)));
        return 0;
    }
}
