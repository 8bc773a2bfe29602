package dev.bulwark.launcher.inspect;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What /proc says about one process, read from outside and only read: its namespaces, id maps,
 * status lines (capabilities, no_new_privs, seccomp), LSM label, cgroup and mounts. Works for any
 * process the caller may look at (a Bulwark, runc, crun or Podman container, or a host shell).
 *
 * @param pid        the process
 * @param namespaces type to inode link ("user:[4026531837]"), as /proc/PID/ns shows them; a type the caller
 *                   cannot read is absent
 * @param uidMap     /proc/PID/uid_map lines, each "inside outside count"
 * @param gidMap     /proc/PID/gid_map lines
 * @param status     /proc/PID/status fields by name (CapEff, NoNewPrivs, Seccomp, Seccomp_filters, ...)
 * @param lsmLabel   /proc/PID/attr/current, or empty when no LSM provides one
 * @param cgroupV2   the path of the "0::" line of /proc/PID/cgroup, or empty
 * @param mounts     /proc/PID/mountinfo, one entry per line
 */
public record ProcFacts(int pid, Map<String, String> namespaces, List<long[]> uidMap, List<long[]> gidMap,
                        Map<String, String> status, Optional<String> lsmLabel, Optional<String> cgroupV2,
                        List<Mount> mounts) {
    /** The namespace types /proc/PID/ns lists that isolate something (time and *_for_children left out). */
    public static final List<String> NAMESPACES = List.of("user", "pid", "mnt", "uts", "ipc", "net", "cgroup");

    /** One line of mountinfo: where, what, and its per-mount and superblock options. */
    public record Mount(String mountPoint, String root, String fsType, String source, List<String> options,
                        List<String> superOptions) {
        public boolean readOnly() {
            return options.contains("ro");
        }
    }

    /** Reads {@code /proc/PID}; empty when there is no such process. */
    public static Optional<ProcFacts> read(int pid) throws IOException {
        Path proc = Path.of("/proc", Integer.toString(pid));
        if (!Files.isDirectory(proc)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ProcFacts(pid, namespaces(proc), idMap(proc.resolve("uid_map")), idMap(proc.resolve("gid_map")),
                    status(proc.resolve("status")), lsmLabel(proc), cgroupV2(proc.resolve("cgroup")), mounts(proc.resolve("mountinfo"))));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // it exited while we read
        }
    }

    /** The namespaces of {@code /proc/self}: what the caller (on the host) is in. */
    public static Map<String, String> ownNamespaces() throws IOException {
        return namespaces(Path.of("/proc/self"));
    }

    private static Map<String, String> namespaces(Path proc) throws IOException {
        Map<String, String> namespaces = new LinkedHashMap<>();
        for (String type : NAMESPACES) {
            try {
                namespaces.put(type, Files.readSymbolicLink(proc.resolve("ns").resolve(type)).toString());
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                // EACCES: another user's process; left out, and said so
            }
        }
        return namespaces;
    }

    private static List<long[]> idMap(Path file) throws IOException {
        List<long[]> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 3) {
                lines.add(new long[] {Long.parseLong(fields[0]), Long.parseLong(fields[1]), Long.parseLong(fields[2])});
            }
        }
        return lines;
    }

    private static Map<String, String> status(Path file) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }

    private static Optional<String> lsmLabel(Path proc) {
        try {
            String label = String.join("\n", Files.readAllLines(proc.resolve("attr/current"))).replace("\0", "").strip()
                    .chars().mapToObj(c -> printable((char) c)).collect(java.util.stream.Collectors.joining());
            return label.isEmpty() ? Optional.empty() : Optional.of(label);
        } catch (IOException e) {
            return Optional.empty(); // no LSM offers a label (EINVAL), or the file is absent
        }
    }

    private static Optional<String> cgroupV2(Path file) throws IOException {
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("0::")) {
                return Optional.of(line.substring(3));
            }
        }
        return Optional.empty();
    }

    static List<Mount> mounts(Path file) throws IOException {
        List<Mount> mounts = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (java.nio.file.AccessDeniedException e) {
            return mounts;
        }
        for (String line : lines) {
            String[] halves = line.split(" - ", 2);
            String[] left = halves[0].split(" ");
            String[] right = halves.length > 1 ? halves[1].split(" ") : new String[0];
            if (left.length < 6 || right.length < 3) {
                continue;
            }
            mounts.add(new Mount(unescape(left[4]), unescape(left[3]), right[0], unescape(right[1]),
                    List.of(left[5].split(",")), List.of(right[2].split(","))));
        }
        return mounts;
    }

    /**
     * mountinfo escapes space, tab, newline and backslash as octal; those are decoded, but control
     * characters (newline, CR, ESC...) stay escaped: a container names its own mount points, and must not
     * write lines or terminal sequences into inspect's output.
     */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                c = (char) Integer.parseInt(field.substring(i + 1, i + 4), 8);
                i += 3;
            }
            out.append(printable(c));
        }
        return out.toString();
    }

    /** A character as inspect may print it: control characters as octal escapes, as mountinfo writes them. */
    static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\%03o", (int) c) : String.valueOf(c);
    }
}
