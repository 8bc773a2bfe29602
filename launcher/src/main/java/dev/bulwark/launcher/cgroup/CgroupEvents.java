package dev.bulwark.launcher.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Event counters of a cgroup: {@code memory.events} (low, high, max, oom, oom_kill, ...) and
 * {@code pids.events} (max: forks refused). A file whose controller is not enabled reads as empty.
 */
public record CgroupEvents(Map<String, Long> memory, Map<String, Long> pids) {

    public CgroupEvents {
        memory = Map.copyOf(memory);
        pids = Map.copyOf(pids);
    }

    /** Processes killed by the OOM killer because of this cgroup's memory limit. */
    public long oomKills() {
        return memory.getOrDefault("oom_kill", 0L);
    }

    /** Forks and clones refused because pids.max was reached. */
    public long pidsLimitHits() {
        return pids.getOrDefault("max", 0L);
    }

    static CgroupEvents read(Path dir) throws CgroupException {
        return new CgroupEvents(readIfPresent(dir.resolve("memory.events")), readIfPresent(dir.resolve("pids.events")));
    }

    static Map<String, Long> readIfPresent(Path file) throws CgroupException {
        if (!Files.exists(file)) {
            return Map.of();
        }
        try {
            return FlatKeyed.parse(CgroupFiles.read(file));
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + CgroupFiles.reason(e), e);
        } catch (NumberFormatException e) {
            throw new CgroupException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }
}
