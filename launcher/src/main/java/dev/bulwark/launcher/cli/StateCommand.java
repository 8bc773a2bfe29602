package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.launcher.runtime.StateDirectory;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code bulwark state ID}: prints a running container's state as JSON, for inspection from outside. */
@Command(name = "state", description = "Print a container's state (id, status, pid, namespaces, id maps) as JSON.")
final class StateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--root", description = "state directory root")
    Path stateRoot;

    @Override
    public Integer call() throws Exception {
        Path root = stateRoot != null ? stateRoot : StateDirectory.defaultRoot(Syscalls.geteuid());
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(StateDirectory.read(root, id)));
        return 0;
    }
}
