package dev.bulwark.launcher.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Parser for /proc/PID/mountinfo (proc(5)): only the fields the cgroup code needs. */
final class MountInfo {
    private MountInfo() {}

    /** One mount: the root of the mount within its file system, where it is mounted, and its type. */
    record Entry(String root, Path mountPoint, String fsType) {}

    static List<Entry> parse(String text) {
        return parse(text, fsType -> true);
    }

    /**
     * The mounts whose file system type {@code wanted} accepts (compared as written: no type has an escape), the
     * others skipped before their paths are unescaped (the launcher reads its mountinfo on every launch).
     */
    static List<Entry> parse(String text, java.util.function.Predicate<String> wanted) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split(" ");
            int separator = separatorOf(fields);
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            if (separator < 6 || separator + 1 >= fields.length || !wanted.test(fields[separator + 1])) {
                continue;
            }
            entries.add(new Entry(unescape(fields[3]), Path.of(unescape(fields[4])), unescape(fields[separator + 1])));
        }
        return entries;
    }

    private static int separatorOf(String[] fields) {
        for (int i = 0; i < fields.length; i++) {
            if (fields[i].equals("-")) {
                return i;
            }
        }
        return -1;
    }

    /** The kernel writes space, tab, newline and backslash in paths as 3-digit octal escapes. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
