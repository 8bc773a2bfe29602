package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.NoSuchContainerException;
import dev.bulwark.launcher.runtime.StateDirectory;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code bulwark state ID}: prints a container's state as JSON, for inspection from outside. The status
 * is the current one: "stopped" once its launcher and init are gone, whatever state.json last recorded.
 */
@Command(name = "state", description = "Print a container's state (id, status, pid, namespaces, id maps) as JSON. "
        + "Exit status 1: no such container.")
final class StateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() throws Exception {
        ContainerId container = ContainerId.parse(id, "ID");
        ContainerState state;
        try (StateRoot root = stateRoot.openExisting().orElseThrow(() -> new NoSuchContainerException(container))) {
            state = StateDirectory.read(root, container).current();
        }
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(state));
        return 0;
    }
}
