package dev.bulwark.launcher.cgroup;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parsers for the cgroup v2 interface-file formats (Documentation/admin-guide/cgroup-v2.rst, "Interface Files"). */
final class FlatKeyed {
    private FlatKeyed() {}

    /** "KEY VALUE" per line, as memory.events, cpu.stat, pids.events. */
    static Map<String, Long> parse(String text) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] kv = line.strip().split("\\s+");
            if (kv.length == 2) {
                values.put(kv[0], parseValue(kv[1]));
            }
        }
        return values;
    }

    /** "KEY SUBKEY=VALUE ..." per line, as io.stat's "8:0 rbytes=1 wbytes=2 ...". */
    static Map<String, Map<String, Long>> parseNested(String text) {
        Map<String, Map<String, Long>> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length < 2) {
                continue;
            }
            Map<String, Long> sub = new LinkedHashMap<>();
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq > 0) {
                    sub.put(parts[i].substring(0, eq), parseValue(parts[i].substring(eq + 1)));
                }
            }
            values.put(parts[0], sub);
        }
        return values;
    }

    /** A single-value file such as memory.current; "max" reads as -1. */
    static long parseSingle(String text) {
        return parseValue(text.strip());
    }

    private static long parseValue(String value) {
        return value.equals("max") ? -1 : Long.parseUnsignedLong(value);
    }
}
