package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.CgroupStats;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.StateDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code bulwark stats ID}: the container's cgroup v2 metrics (memory, pids, cpu, io). */
@Command(name = "stats", description = "Print a running container's resource usage from its cgroup: "
        + "memory.current/peak, pids.current/peak, cpu.stat, io.stat.")
final class StatsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() {
        Path root = stateRoot.resolve();
        ContainerState state = StateDirectory.read(root, id);
        if (state.cgroup() == null) {
            throw new LaunchException("container " + id + ": runs without a cgroup (its limits could not be applied on this host)");
        }
        ContainerCgroup cgroup = ContainerCgroup.find(Path.of(state.cgroup())).orElseThrow(() ->
                new LaunchException("container " + id + ": cgroup " + state.cgroup() + " is gone"));
        try {
            CgroupStats stats = cgroup.stats();
            System.out.println(json ? stats.toJson() : stats.toText());
            return 0;
        } catch (CgroupException e) {
            throw new LaunchException("container " + id + ": " + e.getMessage(), e);
        }
    }
}
