package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.CgroupStats;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.StateDirectory;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code bulwark stats ID}: the container's cgroup v2 metrics (memory, pids, cpu, io). */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Print a running container's resource usage from its cgroup v2 "
        + "files: memory.current/peak, pids.current/peak, cpu.stat, io.stat (where the host has "
        + "cgroup v2 controllers; see 'bulwark explain cgroups').",
        footer = {"", "Examples:",
                "  bulwark stats demo",
                "  bulwark stats --json demo"})
final class StatsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() {
        ContainerId container = ContainerId.parse(id, "ID");
        ContainerState state;
        try (StateRoot root = stateRoot.openHolding(container)) {
            state = StateDirectory.read(root, container);
        }
        if (state.cgroup() == null) {
            throw new LaunchException("container " + id + ": runs without a cgroup (its limits could not be applied on this host)");
        }
        try {
            ContainerCgroup cgroup = ContainerCgroup.findRecorded(state.cgroup(), container.value()).orElseThrow(() ->
                    new LaunchException("container " + id + ": cgroup " + state.cgroup() + " is gone"));
            CgroupStats stats = cgroup.stats();
            System.out.println(json ? stats.toJson() : stats.toText());
            return 0;
        } catch (CgroupException e) {
            throw new LaunchException("container " + id + ": " + e.getMessage(), e);
        }
    }
}
