package dev.bulwark.launcher.cgroup;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cgroup v2 snapshot in the shape of runc's {@code types.Stats} (runc/types/events.go), the "data" of
 * {@code runc events}: the same files read and the same conversions as runc's fs2 manager (cpu.stat in
 * nanoseconds, memory.max "max" as 2^64-1, swap reported as memory+swap, pids.max "max" as 0, io.stat
 * as the v1 blkio tables, hugetlb by page size). Key order and omitted zero fields follow the Go
 * struct tags ({@code omitempty} on numbers and lists; structs are always present).
 */
public final class RuncStats {
    private static final BigInteger MAX_UINT64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final Pattern HUGETLB_CURRENT = Pattern.compile("hugetlb\\.([0-9]+[KMG]B)\\.current");

    private RuncStats() {
    }

    /** The stats of {@code cgroup} as runc's JSON object, ready for Jackson. */
    public static Map<String, Object> of(ContainerCgroup cgroup) throws CgroupException {
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("cpu", cpu(cgroup.readKeyed("cpu.stat")));
        stats.put("cpuset", cpuset());
        stats.put("memory", memory(cgroup));
        stats.put("pids", pids(cgroup));
        stats.put("blkio", blkio(cgroup.readNested("io.stat")));
        stats.put("hugetlb", hugetlb(cgroup));
        stats.put("intel_rdt", Map.of());
        stats.put("network_interfaces", null);
        return stats;
    }

    private static Map<String, Object> cpu(Map<String, Long> stat) {
        Map<String, Object> usage = new LinkedHashMap<>();
        putNonZero(usage, "total", stat.getOrDefault("usage_usec", 0L) * 1000);
        usage.put("kernel", stat.getOrDefault("system_usec", 0L) * 1000);
        usage.put("user", stat.getOrDefault("user_usec", 0L) * 1000);
        Map<String, Object> throttling = new LinkedHashMap<>();
        putNonZero(throttling, "periods", stat.getOrDefault("nr_periods", 0L));
        putNonZero(throttling, "throttledPeriods", stat.getOrDefault("nr_throttled", 0L));
        putNonZero(throttling, "throttledTime", stat.getOrDefault("throttled_usec", 0L) * 1000);
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("usage", usage);
        cpu.put("throttling", throttling);
        return cpu;
    }

    private static Map<String, Object> cpuset() {
        Map<String, Object> cpuset = new LinkedHashMap<>();
        for (String key : List.of("cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
                "memory_spread_slab", "memory_pressure", "sched_load_balance", "sched_relax_domain_level")) {
            cpuset.put(key, 0);
        }
        return cpuset;
    }

    private static Map<String, Object> memory(ContainerCgroup cgroup) throws CgroupException {
        Map<String, Long> raw = cgroup.readKeyed("memory.stat");
        Map<String, Long> events = cgroup.readKeyed("memory.events");
        long usage = cgroup.readValue("memory.current").orElse(0);
        long limit = cgroup.readValue("memory.max").orElse(0);
        long swapUsage = cgroup.readValue("memory.swap.current").orElse(0);
        long swapLimit = cgroup.readValue("memory.swap.max").orElse(0);
        Map<String, Object> memory = new LinkedHashMap<>();
        putNonZero(memory, "cache", raw.getOrDefault("file", 0L));
        memory.put("usage", entry(limit, usage, cgroup.readValue("memory.peak").orElse(0), events.getOrDefault("max", 0L)));
        // As runc's fs2: v1 reported memory+swap, so swap is reported as the sum (limit too, unless unlimited).
        boolean hasMemory = cgroup.readValue("memory.current").isPresent();
        memory.put("swap", hasMemory ? entry(swapLimit == -1 || limit == -1 ? -1 : swapLimit + limit, swapUsage + usage, 0, 0)
                : entry(0, 0, 0, 0));
        memory.put("kernel", entry(0, 0, 0, 0));
        memory.put("kernelTCP", entry(0, 0, 0, 0));
        if (!raw.isEmpty()) {
            memory.put("raw", new TreeMap<>(raw));
        }
        return memory;
    }

    /** runc's MemoryEntry: limit and failcnt always, usage and max only when non-zero; -1 ("max") is 2^64-1. */
    private static Map<String, Object> entry(long limit, long usage, long max, long failcnt) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("limit", limit == -1 ? MAX_UINT64 : BigInteger.valueOf(limit));
        putNonZero(entry, "usage", usage);
        putNonZero(entry, "max", max);
        entry.put("failcnt", failcnt);
        return entry;
    }

    private static Map<String, Object> pids(ContainerCgroup cgroup) throws CgroupException {
        Map<String, Object> pids = new LinkedHashMap<>();
        var current = cgroup.readValue("pids.current");
        if (current.isPresent()) {
            putNonZero(pids, "current", current.getAsLong());
            long max = cgroup.readValue("pids.max").orElse(-1);
            putNonZero(pids, "limit", max == -1 ? 0 : max); // runc: no limit is 0
        } else { // no pids controller: runc counts cgroup.procs
            putNonZero(pids, "current", cgroup.pids().size());
        }
        return pids;
    }

    private static Map<String, Object> blkio(Map<String, Map<String, Long>> ioStat) {
        List<Map<String, Object>> bytes = new ArrayList<>();
        List<Map<String, Object>> serviced = new ArrayList<>();
        ioStat.forEach((device, counters) -> {
            String[] majorMinor = device.split(":");
            if (majorMinor.length != 2) {
                return;
            }
            long major = Long.parseLong(majorMinor[0]);
            long minor = Long.parseLong(majorMinor[1]);
            counters.forEach((key, value) -> {
                switch (key) {
                    case "rbytes" -> bytes.add(blkioEntry(major, minor, "Read", value));
                    case "wbytes" -> bytes.add(blkioEntry(major, minor, "Write", value));
                    case "rios" -> serviced.add(blkioEntry(major, minor, "Read", value));
                    case "wios" -> serviced.add(blkioEntry(major, minor, "Write", value));
                    default -> { }
                }
            });
        });
        Map<String, Object> blkio = new LinkedHashMap<>();
        if (!bytes.isEmpty()) {
            blkio.put("ioServiceBytesRecursive", bytes);
        }
        if (!serviced.isEmpty()) {
            blkio.put("ioServicedRecursive", serviced);
        }
        return blkio;
    }

    private static Map<String, Object> blkioEntry(long major, long minor, String op, long value) {
        Map<String, Object> entry = new LinkedHashMap<>();
        putNonZero(entry, "major", major);
        putNonZero(entry, "minor", minor);
        entry.put("op", op);
        putNonZero(entry, "value", value);
        return entry;
    }

    /** Per page size ("2MB"): usage from hugetlb.SIZE.rsvd.current where the kernel has it (as runc), failcnt from events. */
    private static Map<String, Object> hugetlb(ContainerCgroup cgroup) throws CgroupException {
        Map<String, Object> hugetlb = new TreeMap<>();
        List<String> sizes = new ArrayList<>();
        try (var files = Files.list(cgroup.path())) {
            files.map(f -> HUGETLB_CURRENT.matcher(f.getFileName().toString())).filter(Matcher::matches)
                    .forEach(m -> sizes.add(m.group(1)));
        } catch (IOException e) {
            throw new CgroupException("cannot list " + cgroup.path() + ": " + CgroupFiles.reason(e), e);
        }
        for (String size : sizes) {
            String prefix = "hugetlb." + size;
            long usage = cgroup.readValue(prefix + ".rsvd.current").orElse(cgroup.readValue(prefix + ".current").orElse(0));
            Map<String, Object> entry = new LinkedHashMap<>();
            putNonZero(entry, "usage", usage);
            entry.put("failcnt", cgroup.readKeyed(prefix + ".events").getOrDefault("max", 0L));
            hugetlb.put(size, entry);
        }
        return hugetlb;
    }

    private static void putNonZero(Map<String, Object> map, String key, long value) {
        if (value != 0) {
            map.put(key, value);
        }
    }
}
