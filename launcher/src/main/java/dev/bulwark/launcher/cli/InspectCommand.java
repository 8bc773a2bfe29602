package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.inspect.Inspection;
import dev.bulwark.launcher.inspect.ProcFacts;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.NoSuchContainerException;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code bulwark inspect ID|PID}: what isolates a running process, read from /proc, from outside. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = {
        "Show, from outside, what isolates a running process, layer by layer, each with a one-line verdict: its "
                + "namespaces compared with yours, its uid/gid maps in plain words, its five capability sets decoded, "
                + "no_new_privs, seccomp mode and filter count, LSM label, cgroup v2 path with limits and usage, and its "
                + "mounts as it sees them (root, read-only, masked). It only reads /proc, so it works on any process: a "
                + "Bulwark container (by id), or a runc, crun or Podman container's or a host shell's pid.",
        "",
        "Exit status 1: no such container or process."},
        footer = {"", "Examples:",
                "  bulwark inspect demo          # a Bulwark container, by id",
                "  bulwark inspect $$            # your shell: not isolated",
                "  bulwark inspect --json 4242   # any pid, for scripts"})
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID|PID", description = "a Bulwark container id (in the state root), or any process id")
    String target;

    @Option(names = "--json", description = "the layers as JSON, for scripts")
    boolean json;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() throws Exception {
        int pid = resolve();
        ProcFacts facts = ProcFacts.read(pid).orElseThrow(() -> new LaunchException("process " + pid + " does not exist",
                NoSuchContainerException.EXIT_STATUS, null));
        Inspection inspection = Inspection.of(facts, ProcFacts.ownNamespaces(), Inspection.cgroupV2Mount());
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(inspection.toJson()));
        } else {
            System.out.print(inspection.toText());
        }
        return 0;
    }

    /** A container id known to the state root wins; otherwise a number is a pid. */
    private int resolve() {
        Optional<ContainerId> id = containerId(target);
        if (id.isPresent()) {
            Optional<StateRoot> root = stateRoot.openExisting();
            if (root.isPresent()) {
                try (StateRoot opened = root.get()) {
                    ContainerState state = Container.load(opened, id.get()).state();
                    if (state.pid() <= 0 || "stopped".equals(state.status())) {
                        throw new LaunchException("container \"" + target + "\" is not running (" + state.status() + ")",
                                NoSuchContainerException.EXIT_STATUS, null);
                    }
                    return state.pid();
                } catch (NoSuchContainerException e) {
                    // not a container: maybe a pid
                }
            }
        }
        if (target.matches("[0-9]{1,9}")) {
            return Integer.parseInt(target);
        }
        throw new LaunchException("no container or process \"" + target + "\"", NoSuchContainerException.EXIT_STATUS, null);
    }

    private static Optional<ContainerId> containerId(String value) {
        try {
            return Optional.of(ContainerId.parse(value, "ID"));
        } catch (LaunchException e) {
            return Optional.empty();
        }
    }
}
