package dev.bulwark.launcher.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where this process sees the cgroup v2 hierarchy, found from {@code /proc/self/mountinfo} and
 * {@code /proc/self/cgroup} rather than assumed: pure-v2 hosts mount it at /sys/fs/cgroup, hybrid
 * hosts at /sys/fs/cgroup/unified, containers wherever their runtime chose.
 *
 * @param v2Root      the mount point of the cgroup2 file system
 * @param ownCgroup   this process's cgroup, relative to {@code v2Root}, starting with "/"
 * @param v1Mounts    mount points of cgroup v1 hierarchies (non-empty on hybrid or legacy hosts)
 * @param selfPid     this process's PID, the one the launcher may have to move to a leaf
 */
public record CgroupHost(Path v2Root, String ownCgroup, List<Path> v1Mounts, long selfPid) {

    public CgroupHost {
        v1Mounts = List.copyOf(v1Mounts);
    }

    /** True when no v1 hierarchy is mounted next to v2 (cgroup_no_v1=all, systemd's unified mode). */
    public boolean pureV2() {
        return v1Mounts.isEmpty();
    }

    /** The absolute directory of a cgroup given relative to the v2 root ("/" is the root itself). */
    public Path dirOf(String cgroup) {
        int start = 0;
        while (start < cgroup.length() && cgroup.charAt(start) == '/') {
            start++; // leading slashes off, without compiling a regex on every launch
        }
        String relative = cgroup.substring(start);
        return relative.isEmpty() ? v2Root : v2Root.resolve(relative);
    }

    /** Detects the hierarchy of the calling process; empty when no cgroup2 file system is mounted. */
    public static Optional<CgroupHost> detect() throws IOException {
        return detect(Path.of("/proc"), ProcessHandle.current().pid());
    }

    /** As {@link #detect()}, reading {@code proc/self/...} under the given proc directory. */
    public static Optional<CgroupHost> detect(Path proc, long selfPid) throws IOException {
        String mountinfo = CgroupFiles.read(proc.resolve("self/mountinfo"));
        String procCgroup = CgroupFiles.read(proc.resolve("self/cgroup"));
        return parse(mountinfo, procCgroup, selfPid);
    }

    /** Pure parsing of the two proc files' texts. */
    public static Optional<CgroupHost> parse(String mountinfo, String procSelfCgroup, long selfPid) {
        List<MountInfo.Entry> entries = MountInfo.parse(mountinfo, type -> type.equals("cgroup") || type.equals("cgroup2"));
        List<Path> v1 = new ArrayList<>();
        MountInfo.Entry v2 = null;
        for (MountInfo.Entry e : entries) {
            if (e.fsType().equals("cgroup")) {
                v1.add(e.mountPoint());
            } else if (e.fsType().equals("cgroup2") && (v2 == null || preferred(e, v2))) {
                v2 = e;
            }
        }
        Optional<String> unified = unifiedCgroup(procSelfCgroup);
        if (v2 == null || unified.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new CgroupHost(v2.mountPoint(), relativeTo(v2.root(), unified.get()), v1, selfPid));
    }

    /** The path on the {@code 0::} line of /proc/PID/cgroup: the process's v2 cgroup. */
    static Optional<String> unifiedCgroup(String procCgroup) {
        for (String line : procCgroup.split("\n")) {
            if (line.startsWith("0::")) {
                String path = line.substring(3).strip();
                // A cgroup that was removed under us reads as "/path (deleted)".
                return Optional.of(path.endsWith(" (deleted)") ? path.substring(0, path.length() - 10) : path);
            }
        }
        return Optional.empty();
    }

    // A cgroup2 mount of a subtree (bind mount, mount root "/a/b") shows the process path from
    // the hierarchy's root; strip the mount root so the path is relative to the mount point.
    private static String relativeTo(String mountRoot, String cgroup) {
        if (mountRoot.equals("/") || !cgroup.startsWith(mountRoot)) {
            return cgroup;
        }
        String rest = cgroup.substring(mountRoot.length());
        return rest.isEmpty() ? "/" : rest;
    }

    // The full hierarchy beats a bind-mounted subtree; then the conventional locations win.
    private static boolean preferred(MountInfo.Entry candidate, MountInfo.Entry current) {
        if (candidate.root().equals("/") != current.root().equals("/")) {
            return candidate.root().equals("/");
        }
        return rank(candidate.mountPoint()) < rank(current.mountPoint());
    }

    private static int rank(Path mountPoint) {
        return switch (mountPoint.toString()) {
            case "/sys/fs/cgroup" -> 0;
            case "/sys/fs/cgroup/unified" -> 1;
            default -> 2;
        };
    }
}
