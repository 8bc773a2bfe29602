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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bulwark ps [--format table|json] ID [PS_OPTIONS...]}: runc ps, the container's processes (host pids), from its
 * cgroup or the init's descendants: json is the array of pids; table runs ps(1) with PS_OPTIONS (default -ef) and keeps
 * its header and the lines whose PID column is one of them, as runc does.
 */
@Command(name = "ps", mixinStandardHelpOptions = true, description = "List the processes of a container by their host "
        + "pids (from its cgroup, or the init's descendants): the same processes have other pids inside, starting at 1, "
        + "because the container has its own pid namespace. As runc: --format json prints the pids as a JSON array; the "
        + "table is ps(1)'s output with PS_OPTIONS (default -ef; options after ID are ps's), only the header and the "
        + "container's lines.",
        footer = {"", "Examples:",
                "  bulwark ps demo",
                "  bulwark ps demo -o pid,user,args",
                "  bulwark ps --format json demo"})
final class PsCommand implements Callable<Integer> {
    @Option(names = {"-f", "--format"}, paramLabel = "table|json", description = "table (default) or json (an array of pids)")
    String format = "table";

    @Parameters(index = "0", paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Parameters(index = "1..*", paramLabel = "PS_OPTIONS", description = "options for ps(1) in table format (default -ef), "
            + "as runc passes them")
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
        List<String> options = psOptions.isEmpty() || !psOptions.get(0).equals("--") ? psOptions
                : psOptions.subList(1, psOptions.size());
        for (String line : psLines(options.isEmpty() ? List.of("-ef") : options, new java.util.HashSet<>(pids))) {
            System.out.println(line);
        }
        return 0;
    }

    /** ps(1)'s header and the lines whose PID column names one of {@code pids}. */
    private static List<String> psLines(List<String> options, java.util.Set<Long> pids) throws InterruptedException {
        List<String> command = new ArrayList<>(List.of("ps"));
        command.addAll(options);
        String shown = String.join(" ", command);
        String output;
        String errors;
        int status;
        try {
            // stdout only is parsed; stderr is read beside it (no pipe fills up) and passed on or named in the refusal
            java.lang.Process ps = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            java.util.concurrent.CompletableFuture<String> stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(ps.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            });
            output = new String(ps.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            status = ps.waitFor();
            errors = stderr.join();
        } catch (IOException e) {
            throw new LaunchException("PS_OPTIONS: cannot run ps(1) (Debian's procps package): " + e.getMessage());
        }
        List<String> lines = output.lines().toList();
        if (status != 0 || lines.isEmpty()) {
            throw new LaunchException("PS_OPTIONS: " + shown + " failed (exit " + status + "): "
                    + errors.lines().filter(l -> !l.isBlank()).findFirst().orElse("no output").strip());
        }
        System.err.print(errors); // ps(1)'s own warnings, as it printed them
        int pidColumn = List.of(lines.get(0).strip().split("\\s+")).indexOf("PID");
        if (pidColumn < 0) {
            throw new LaunchException("PS_OPTIONS: " + shown + " prints no PID column (add pid to -o)");
        }
        List<String> kept = new ArrayList<>(List.of(lines.get(0)));
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length > pidColumn && fields[pidColumn].matches("\\d+") && pids.contains(Long.parseLong(fields[pidColumn]))) {
                kept.add(line);
            }
        }
        return kept;
    }
}
