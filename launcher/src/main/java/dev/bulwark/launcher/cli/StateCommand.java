package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code bulwark state ID}: the OCI state JSON (ociVersion, id, status, pid, bundle, annotations, and
 * Bulwark's extra fields). The status is the current one: "stopped" once its init is gone, whatever
 * state.json last recorded.
 */
@Command(name = "state", mixinStandardHelpOptions = true, description = {
        "Print a container's OCI state (ociVersion, id, status creating|created|running|stopped, pid, bundle, "
                + "annotations) as JSON, plus what isolates it: its namespace inodes and uid/gid maps, to compare with "
                + "ls -l /proc/self/ns and /proc/PID/uid_map. The status is judged afresh from the processes that run.",
        "Exit status 1: no such container."},
        footer = {"", "Examples:",
                "  bulwark run --id demo -- /bin/sleep 300 &  bulwark state demo",
                "  bulwark state demo | jq .pid"})
final class StateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() throws Exception {
        ContainerId container = ContainerId.parse(id, "ID");
        ContainerState state;
        try (StateRoot root = stateRoot.openHolding(container)) {
            state = Container.load(root, container).state();
        }
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(state));
        return 0;
    }
}
