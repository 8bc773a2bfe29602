package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.StateDirectory;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code bulwark list}: every container directory under the state root, with its current status:
 * "stopped" for those whose init is gone (remove them with {@code bulwark delete ID}).
 */
@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List the containers of the state root: id, status "
        + "(created, running, stopped, judged from the processes that run), host pid of the init, bundle.",
        footer = {"", "Examples:",
                "  bulwark list",
                "  bulwark ls -q                 # ids only",
                "  bulwark list --format json"})
final class ListCommand implements Callable<Integer> {
    @Mixin
    StateRootOption stateRoot;

    @Option(names = {"-f", "--format"}, paramLabel = "table|json", description = "output format (default table)")
    String format = "table";

    @Option(names = {"-q", "--quiet"}, description = "print only the ids")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("table") && !format.equals("json")) {
            throw new LaunchException("--format: expected table or json, got \"" + format + "\"");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        Optional<StateRoot> opened = stateRoot.openExisting();
        if (opened.isPresent()) {
            try (StateRoot root = opened.get()) {
                for (ContainerId id : root.ids()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("id", id.value());
                    try {
                        Optional<ContainerState> found = StateDirectory.find(root, id);
                        if (found.isEmpty()) {
                            continue;
                        }
                        ContainerState state = found.get().current();
                        row.put("ociVersion", state.ociVersion());
                        row.put("pid", state.status().equals("stopped") ? 0 : state.pid());
                        row.put("status", state.status());
                        row.put("bundle", state.bundle());
                        row.put("rootfs", state.rootfs());
                        row.put("created", state.created());
                        row.put("annotations", state.annotations());
                    } catch (LaunchException e) {
                        // one unreadable directory does not hide the others; `bulwark state ID` says what is wrong
                        row.put("status", "invalid");
                        row.put("pid", 0);
                    }
                    rows.add(row);
                }
            }
        }
        if (quiet) {
            rows.forEach(row -> System.out.println(row.get("id")));
        } else if (format.equals("json")) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
        } else {
            System.out.printf("%-24s %-9s %8s  %s%n", "ID", "STATUS", "PID", "BUNDLE");
            for (Map<String, Object> row : rows) {
                System.out.printf("%-24s %-9s %8s  %s%n", row.get("id"), row.get("status"), row.get("pid"),
                        row.get("bundle") == null ? "-" : row.get("bundle"));
            }
        }
        return 0;
    }
}
