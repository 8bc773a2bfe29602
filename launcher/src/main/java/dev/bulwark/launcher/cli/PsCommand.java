package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code bulwark ps ID}: the container's processes (host pids), from its cgroup or the init's descendants. */
@Command(name = "ps", mixinStandardHelpOptions = true, description = "List the processes of a container by their host "
        + "pids (from its cgroup, or the init's descendants): the same processes have other pids inside, starting at 1, "
        + "because the container has its own pid namespace.",
        footer = {"", "Examples:",
                "  bulwark ps demo",
                "  bulwark ps --format json demo"})
final class PsCommand implements Callable<Integer> {
    @Option(names = {"-f", "--format"}, paramLabel = "table|json", description = "table (default) or json (an array of pids)")
    String format = "table";

    @Parameters(index = "0", paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Parameters(index = "1..*", paramLabel = "PS_OPTIONS", description = "accepted for runc compatibility; ignored")
    List<String> psOptions = new ArrayList<>();

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("table") && !format.equals("json")) {
            throw new LaunchException("--format: expected table or json, got \"" + format + "\"");
        }
        ContainerId container = ContainerId.parse(id, "ID");
        List<Long> pids;
        try (StateRoot root = stateRoot.openHolding(container)) {
            pids = Container.load(root, container).processes();
        }
        if (format.equals("json")) {
            System.out.println(new ObjectMapper().writeValueAsString(pids));
            return 0;
        }
        System.out.printf("%8s  %s%n", "PID", "CMD");
        for (long pid : pids) {
            System.out.printf("%8d  %s%n", pid, commandLine(pid));
        }
        return 0;
    }

    private static String commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(raw, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "-";
        }
    }
}
