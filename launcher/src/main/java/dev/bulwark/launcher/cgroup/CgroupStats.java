package dev.bulwark.launcher.cgroup;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.StringJoiner;

/**
 * A snapshot of a cgroup's usage, for {@code bulwark stats}. Counters whose controller is not
 * enabled (or, for the *.peak files, whose kernel predates them) are absent.
 *
 * @param cpu    cpu.stat (usage_usec, user_usec, system_usec, nr_periods, nr_throttled, throttled_usec, ...)
 * @param io     io.stat by "MAJ:MIN" device (rbytes, wbytes, rios, wios, dbytes, dios)
 */
public record CgroupStats(Path cgroup, OptionalLong memoryCurrent, OptionalLong memoryPeak,
                          OptionalLong pidsCurrent, OptionalLong pidsPeak,
                          Map<String, Long> cpu, Map<String, Map<String, Long>> io) {

    public CgroupStats {
        cpu = Map.copyOf(cpu);
        io = Map.copyOf(io);
    }

    static CgroupStats read(Path dir) throws CgroupException {
        Map<String, Map<String, Long>> io = new LinkedHashMap<>();
        Path ioStat = dir.resolve("io.stat");
        if (Files.exists(ioStat)) {
            try {
                io = FlatKeyed.parseNested(CgroupFiles.read(ioStat));
            } catch (IOException e) {
                throw new CgroupException("cannot read " + ioStat + ": " + CgroupFiles.reason(e), e);
            }
        }
        return new CgroupStats(dir, single(dir, "memory.current"), single(dir, "memory.peak"),
                single(dir, "pids.current"), single(dir, "pids.peak"),
                CgroupEvents.readIfPresent(dir.resolve("cpu.stat")), io);
    }

    private static OptionalLong single(Path dir, String name) throws CgroupException {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(FlatKeyed.parseSingle(CgroupFiles.read(file)));
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + CgroupFiles.reason(e), e);
        } catch (NumberFormatException e) {
            throw new CgroupException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    /** Human-readable lines, one counter per line. */
    public String toText() {
        StringBuilder out = new StringBuilder("cgroup          " + cgroup + "\n");
        line(out, "memory.current", memoryCurrent);
        line(out, "memory.peak", memoryPeak);
        line(out, "pids.current", pidsCurrent);
        line(out, "pids.peak", pidsPeak);
        cpu.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.append(String.format("cpu.%-12s %d%n", e.getKey(), e.getValue())));
        io.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            StringJoiner j = new StringJoiner(" ");
            e.getValue().forEach((k, v) -> j.add(k + "=" + v));
            out.append(String.format("io %-12s %s%n", e.getKey(), j));
        });
        return out.toString();
    }

    /** One JSON object; absent counters are omitted. */
    public String toJson() {
        StringJoiner fields = new StringJoiner(",", "{", "}");
        fields.add("\"cgroup\":" + quote(cgroup.toString()));
        json(fields, "memoryCurrent", memoryCurrent);
        json(fields, "memoryPeak", memoryPeak);
        json(fields, "pidsCurrent", pidsCurrent);
        json(fields, "pidsPeak", pidsPeak);
        fields.add("\"cpu\":" + jsonObject(cpu));
        StringJoiner devices = new StringJoiner(",", "{", "}");
        io.forEach((dev, counters) -> devices.add(quote(dev) + ":" + jsonObject(counters)));
        fields.add("\"io\":" + devices);
        return fields.toString();
    }

    @Override
    public String toString() {
        return toText();
    }

    private static void line(StringBuilder out, String name, OptionalLong value) {
        value.ifPresent(v -> out.append(String.format("%-15s %d%n", name, v)));
    }

    private static void json(StringJoiner fields, String name, OptionalLong value) {
        value.ifPresent(v -> fields.add(quote(name) + ":" + v));
    }

    private static String jsonObject(Map<String, Long> values) {
        StringJoiner j = new StringJoiner(",", "{", "}");
        values.forEach((k, v) -> j.add(quote(k) + ":" + v));
        return j.toString();
    }

    private static String quote(String s) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + '"';
    }
}
