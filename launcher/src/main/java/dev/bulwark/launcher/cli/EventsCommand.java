package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.launcher.cgroup.RuncStats;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.NoSuchContainerException;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bulwark events [--stats] [--interval DUR] ID}: runc events, the container's cgroup v2 statistics as runc's
 * JSON ({@link RuncStats}), one line per event, and an "oom" event whenever memory.events counts a new OOM kill.
 */
@Command(name = "events", mixinStandardHelpOptions = true, description = {
        "Print a container's events as runc does, one JSON object a line: {\"type\":\"stats\",\"id\":ID,\"data\":{cpu, "
                + "cpuset, memory, pids, blkio, hugetlb, ...}} with runc's field names, read from its cgroup v2 files "
                + "(cpu.stat, memory.current/max/stat/events, pids.current/max, io.stat, hugetlb.*), every --interval, and "
                + "{\"type\":\"oom\",\"id\":ID} when memory.events counts a new OOM kill, until the container stops. With "
                + "--stats, one stats object and exit.",
        "Exit status 1: no such container, it is stopped, or it has no cgroup of its own."},
        footer = {"", "Examples:",
                "  bulwark events --stats demo | jq .data.memory.usage",
                "  bulwark events --interval 1s demo"})
final class EventsCommand implements Callable<Integer> {
    private static final long OOM_POLL_MILLIS = 100;
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

    @Option(names = "--stats", description = "print the container's stats once and exit")
    boolean stats;

    @Option(names = "--interval", paramLabel = "DURATION", description = "time between stats, as Go writes durations: "
            + "5s (default), 500ms, 1m30s")
    String interval = "5s";

    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() throws Exception {
        ContainerId container = ContainerId.parse(id, "ID");
        Duration every = parseDuration(interval);
        try (StateRoot root = stateRoot.openHolding(container)) {
            Container found = Container.load(root, container);
            if (found.state().status().equals("stopped")) {
                throw new LaunchException("container with id " + container.value() + " is not running", Container.VERB_FAILED, null);
            }
            ContainerCgroup cgroup = found.ownCgroup("report its events");
            ObjectMapper json = new ObjectMapper();
            if (stats) {
                System.out.println(event(json, "stats", container, RuncStats.of(cgroup)));
                return 0;
            }
            watch(found, cgroup, json, container, every);
        }
        return 0;
    }

    /** Stats every {@code every}, an "oom" event per new OOM kill, until the init is gone or the cgroup is empty. */
    private static void watch(Container found, ContainerCgroup cgroup, ObjectMapper json, ContainerId id, Duration every)
            throws CgroupException, JsonProcessingException, InterruptedException {
        long oomKills = cgroup.readKeyed("memory.events").getOrDefault("oom_kill", 0L);
        long nextStats = System.nanoTime() + every.toNanos();
        while (true) {
            Thread.sleep(Math.min(OOM_POLL_MILLIS, Math.max(1, every.toMillis())));
            if (gone(found, cgroup)) {
                return;
            }
            try {
                long kills = cgroup.readKeyed("memory.events").getOrDefault("oom_kill", 0L);
                if (kills > oomKills) {
                    System.out.println(event(json, "oom", id, null));
                    oomKills = kills;
                }
                if (System.nanoTime() - nextStats >= 0) {
                    System.out.println(event(json, "stats", id, RuncStats.of(cgroup)));
                    nextStats += every.toNanos();
                }
            } catch (CgroupException e) {
                // a delete between the check and the reads removes the cgroup's files: stopped, as runc ends then
                if (vanished(e) || gone(found, cgroup)) {
                    return;
                }
                throw e;
            }
        }
    }

    /** The container stopped, or its cgroup is removed or empty. */
    private static boolean gone(Container found, ContainerCgroup cgroup) throws CgroupException {
        try {
            if (found.state().status().equals("stopped") || !java.nio.file.Files.isDirectory(cgroup.path())) {
                return true;
            }
        } catch (NoSuchContainerException e) {
            return true; // deleted meanwhile
        }
        try {
            return cgroup.readKeyed("cgroup.events").getOrDefault("populated", 1L) == 0;
        } catch (CgroupException e) {
            if (vanished(e)) {
                return true;
            }
            throw e;
        }
    }

    /** A read failed because the cgroup was removed meanwhile (ENOENT; ENODEV on a file opened before the rmdir). */
    static boolean vanished(CgroupException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.nio.file.NoSuchFileException
                    || cause instanceof IOException io && io.getMessage() != null && io.getMessage().contains("No such device")) {
                return true;
            }
        }
        return false;
    }

    /** runc's types.Event: type, id, and data unless empty. */
    private static String event(ObjectMapper json, String type, ContainerId id, Object data) throws JsonProcessingException {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", type);
        event.put("id", id.value());
        if (data != null) {
            event.put("data", data);
        }
        return json.writeValueAsString(event);
    }

    /** A Go duration ("5s", "1m30s", "250ms"); runc refuses one that is not above zero. */
    static Duration parseDuration(String text) {
        String bad = "--interval: \"" + text + "\" is not a duration above 0 (as 5s, 500ms, 1m30s)";
        if (text == null || text.isEmpty()) {
            throw new LaunchException(bad);
        }
        Matcher m = DURATION_PART.matcher(text);
        double nanos = 0;
        int at = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new LaunchException(bad);
            }
            double unit = switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            nanos += Double.parseDouble(m.group(1)) * unit;
            at = m.end();
        }
        if (nanos < 1 || nanos > Long.MAX_VALUE) {
            throw new LaunchException(bad);
        }
        return Duration.ofNanos((long) nanos);
    }
}
