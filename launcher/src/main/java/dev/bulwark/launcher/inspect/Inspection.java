package dev.bulwark.launcher.inspect;

import dev.bulwark.nativ.constants.Capability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bulwark inspect}: what isolates a running process, seen from outside, layer by layer, each
 * with a one-line verdict. Built from {@link ProcFacts} of the process and of the caller (the host's
 * side); reads only, writes nothing (never a cgroup file).
 *
 * @param pid    the process inspected
 * @param layers the layers in teaching order: namespaces, user ids, capabilities, no_new_privs,
 *               seccomp, LSM, cgroup, mounts
 */
public record Inspection(int pid, List<Layer> layers) {
    /** How well a layer isolates the process. */
    public enum Verdict { ISOLATED, PARTLY, NOT_ISOLATED, UNKNOWN }

    /**
     * One layer: its verdict in one line, and the facts behind it.
     *
     * @param name    "namespaces", "user ids", "capabilities", ...
     * @param verdict how well it isolates
     * @param summary the one-line verdict, in plain words
     * @param details the facts, one per line
     */
    public record Layer(String name, Verdict verdict, String summary, List<String> details) {
    }

    /** How many capabilities this kernel has (cap_last_cap + 1): a set that holds them all is "all". */
    private static final int KERNEL_CAPS = kernelCaps();
    private static final String[] CAP_SETS = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
    private static final Map<String, String> CAP_SET_NAMES = Map.of("CapInh", "inheritable", "CapPrm", "permitted",
            "CapEff", "effective", "CapBnd", "bounding", "CapAmb", "ambient");

    /** Inspects {@code facts} against the caller's own namespaces ({@code host}) and the caller's cgroup v2 mount. */
    public static Inspection of(ProcFacts facts, Map<String, String> host, Optional<Path> cgroupV2Mount) {
        List<Layer> layers = new ArrayList<>();
        layers.add(namespaces(facts, host));
        layers.add(userIds(facts));
        layers.add(capabilities(facts));
        layers.add(noNewPrivs(facts));
        layers.add(seccomp(facts));
        layers.add(lsm(facts));
        layers.add(cgroup(facts, cgroupV2Mount));
        layers.add(mounts(facts, host));
        return new Inspection(facts.pid(), layers);
    }

    /** Whether any layer isolates anything. */
    public boolean isolated() {
        return layers.stream().anyMatch(l -> l.verdict() == Verdict.ISOLATED || l.verdict() == Verdict.PARTLY);
    }

    private static Layer namespaces(ProcFacts facts, Map<String, String> host) {
        List<String> own = new ArrayList<>();
        List<String> shared = new ArrayList<>();
        List<String> details = new ArrayList<>();
        for (String type : ProcFacts.NAMESPACES) {
            String theirs = facts.namespaces().get(type);
            String ours = host.get(type);
            if (theirs == null) {
                details.add(type + ": cannot be read (another user's process?)");
                continue;
            }
            boolean same = theirs.equals(ours);
            (same ? shared : own).add(type);
            details.add(String.format("%-7s %s  %s", type, theirs, same ? "= the host's (shared)" : "!= the host's " + ours + " (its own)"));
        }
        if (own.isEmpty() && shared.isEmpty()) {
            return new Layer("namespaces", Verdict.UNKNOWN, "cannot read /proc/" + facts.pid()
                    + "/ns (another user's process: inspect it as its owner or as root)", details);
        }
        Verdict verdict = shared.isEmpty() ? Verdict.ISOLATED : own.isEmpty() ? Verdict.NOT_ISOLATED : Verdict.PARTLY;
        String summary = own.isEmpty() ? "shares every namespace with the host"
                : own.size() + " of " + (own.size() + shared.size()) + " namespaces are its own (" + String.join(", ", own) + ")"
                + (shared.isEmpty() ? "" : "; shares " + String.join(", ", shared) + " with the host");
        return new Layer("namespaces", verdict, summary, details);
    }

    private static Layer userIds(ProcFacts facts) {
        List<String> details = new ArrayList<>();
        for (long[] line : facts.uidMap()) {
            details.add("container uid " + line[0] + " is host uid " + line[1] + ", " + line[2] + " ids");
        }
        for (long[] line : facts.gidMap()) {
            details.add("container gid " + line[0] + " is host gid " + line[1] + ", " + line[2] + " ids");
        }
        boolean identity = facts.uidMap().size() == 1 && facts.uidMap().get(0)[0] == 0 && facts.uidMap().get(0)[1] == 0
                && facts.uidMap().get(0)[2] == 4294967295L;
        Optional<Long> rootOnHost = facts.uidMap().stream().filter(l -> l[0] == 0).map(l -> l[1]).findFirst();
        String uid = facts.status().getOrDefault("Uid", "?").split("\\s+")[0];
        if (identity) {
            return new Layer("user ids", Verdict.NOT_ISOLATED, "no user namespace of its own: its uid " + uid
                    + " is host uid " + uid + (uid.equals("0") ? ", host root" : ""), details);
        }
        String summary = rootOnHost.map(host -> "container root is host uid " + host + (host == 0 ? " (host root!)" : ", an unprivileged host user"))
                .orElse("container root is not mapped: nothing in it is host root");
        return new Layer("user ids", rootOnHost.orElse(-1L) == 0 ? Verdict.PARTLY : Verdict.ISOLATED,
                summary + "; it runs as host uid " + uid, details);
    }

    private static Layer capabilities(ProcFacts facts) {
        List<String> details = new ArrayList<>();
        Map<String, List<String>> sets = new LinkedHashMap<>();
        for (String set : CAP_SETS) {
            List<String> names = decode(facts.status().getOrDefault(set, "0"));
            sets.put(set, names);
            details.add(String.format("%s (%s): %s", set, CAP_SET_NAMES.get(set), describe(names)));
        }
        int effective = sets.get("CapEff").size();
        int bounding = sets.get("CapBnd").size();
        // CAP_SYS_ADMIN within reach is as good as root (mount, namespaces, most of the kernel's admin paths)
        boolean sysAdmin = sets.get("CapBnd").contains("CAP_SYS_ADMIN") && sets.get("CapPrm").contains("CAP_SYS_ADMIN");
        Verdict verdict = effective == 0 && bounding == 0 ? Verdict.ISOLATED : sysAdmin ? Verdict.NOT_ISOLATED : Verdict.PARTLY;
        String summary = effective == 0 ? "no effective capabilities" : effective + " effective capabilities";
        summary += bounding == 0 ? ", empty bounding set: it can never gain one" : ", " + bounding + " in the bounding set";
        summary += sysAdmin ? " (CAP_SYS_ADMIN included: as good as root)" : "";
        return new Layer("capabilities", verdict, summary, details);
    }

    /** "none", "all 41", "all 41 but CAP_SYS_RESOURCE", or the names. */
    private static String describe(List<String> names) {
        if (names.isEmpty()) {
            return "none";
        }
        if (names.size() >= KERNEL_CAPS) {
            return "all " + names.size();
        }
        if (names.size() > KERNEL_CAPS / 2) {
            List<String> missing = new ArrayList<>();
            for (int cap = 0; cap < KERNEL_CAPS; cap++) {
                if (!names.contains(Capability.name(cap))) {
                    missing.add(Capability.name(cap));
                }
            }
            return "all " + KERNEL_CAPS + " but " + String.join(", ", missing);
        }
        return String.join(", ", names);
    }

    private static int kernelCaps() {
        try {
            // readAllLines, not readString: /proc files report size 0, and readString may stop after one read
            return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap")).get(0).strip()) + 1;
        } catch (IOException | NumberFormatException e) {
            return 41;
        }
    }

    private static List<String> decode(String hex) {
        long mask = Long.parseUnsignedLong(hex.strip(), 16);
        List<String> names = new ArrayList<>();
        for (int cap = 0; cap < 64; cap++) {
            if ((mask & (1L << cap)) != 0) {
                names.add(Capability.name(cap));
            }
        }
        return names;
    }

    private static Layer noNewPrivs(ProcFacts facts) {
        boolean set = "1".equals(facts.status().get("NoNewPrivs"));
        return new Layer("no_new_privs", set ? Verdict.ISOLATED : Verdict.NOT_ISOLATED,
                set ? "set: execve can never grant privileges (setuid bits, file capabilities ignored)"
                        : "not set: a setuid binary or file capability can raise its privileges",
                List.of("NoNewPrivs: " + facts.status().getOrDefault("NoNewPrivs", "?")));
    }

    private static Layer seccomp(ProcFacts facts) {
        String mode = facts.status().getOrDefault("Seccomp", "0");
        String filters = facts.status().getOrDefault("Seccomp_filters", "?");
        return switch (mode) {
            case "2" -> new Layer("seccomp", Verdict.ISOLATED, "filter mode, " + filters + " filter(s): its syscalls are checked",
                    List.of("Seccomp: 2 (filter)", "Seccomp_filters: " + filters));
            case "1" -> new Layer("seccomp", Verdict.ISOLATED, "strict mode: only read, write, exit, sigreturn",
                    List.of("Seccomp: 1 (strict)"));
            default -> new Layer("seccomp", Verdict.NOT_ISOLATED, "no filter: every syscall reaches the kernel",
                    List.of("Seccomp: 0 (disabled)", "Seccomp_filters: " + filters));
        };
    }

    private static Layer lsm(ProcFacts facts) {
        Optional<String> label = facts.lsmLabel();
        if (label.isEmpty()) {
            return new Layer("LSM", Verdict.NOT_ISOLATED, "no label (no AppArmor or SELinux label on this process)",
                    List.of("attr/current: absent or empty"));
        }
        boolean unconfined = label.get().startsWith("unconfined") || label.get().contains(":unconfined_t");
        return new Layer("LSM", unconfined ? Verdict.NOT_ISOLATED : Verdict.ISOLATED,
                (unconfined ? "unconfined: " : "confined by ") + label.get(), List.of("attr/current: " + label.get()));
    }

    private static Layer cgroup(ProcFacts facts, Optional<Path> v2Mount) {
        List<String> details = new ArrayList<>();
        if (facts.cgroupV2().isEmpty() || v2Mount.isEmpty()) {
            return new Layer("cgroup", Verdict.NOT_ISOLATED, "no cgroup v2 (only cgroup v2 limits are read)", details);
        }
        String path = facts.cgroupV2().get();
        Path dir = v2Mount.get().resolve(path.startsWith("/") ? path.substring(1) : path);
        details.add("cgroup v2: " + path + " (" + dir + ")");
        List<String> limits = new ArrayList<>();
        for (String[] file : new String[][] {{"memory.max", "memory.current"}, {"pids.max", "pids.current"}, {"cpu.max", null}}) {
            Optional<String> max = readLine(dir.resolve(file[0]));
            if (max.isEmpty()) {
                continue;
            }
            Optional<String> current = file[1] == null ? Optional.empty() : readLine(dir.resolve(file[1]));
            details.add(file[0] + " " + max.get() + current.map(c -> ", " + file[1] + " " + c).orElse(""));
            if (!max.get().startsWith("max")) {
                limits.add(file[0] + " " + max.get());
            }
        }
        if (details.size() == 1) {
            details.add("no memory, pids or cpu controller in this cgroup (on a hybrid host the v2 hierarchy has no controllers)");
        }
        details.addAll(rlimits(facts.pid()));
        String summary = path + ": " + (limits.isEmpty() ? "no limits" : String.join(", ", limits));
        return new Layer("cgroup", limits.isEmpty() ? Verdict.NOT_ISOLATED : Verdict.ISOLATED, summary, details);
    }

    /** The rlimits that bound a process where no cgroup does (Bulwark's fallback on hybrid hosts). */
    private static List<String> rlimits(int pid) {
        List<String> lines = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "limits"))) {
                if (line.startsWith("Max processes") || line.startsWith("Max data size") || line.startsWith("Max open files")) {
                    lines.add("rlimit " + line.replaceAll("\\s{2,}", "  ").strip());
                }
            }
        } catch (IOException e) {
            // gone, or not ours to read
        }
        return lines;
    }

    private static Optional<String> readLine(Path file) {
        try {
            return Optional.of(String.join("\n", Files.readAllLines(file)).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Layer mounts(ProcFacts facts, Map<String, String> host) {
        List<String> details = new ArrayList<>();
        if (facts.mounts().isEmpty() || !facts.namespaces().containsKey("mnt")) {
            return new Layer("mounts", Verdict.UNKNOWN, "cannot read its mount namespace (another user's process?)", details);
        }
        boolean hostMounts = facts.namespaces().getOrDefault("mnt", "").equals(host.get("mnt"));
        ProcFacts.Mount root = facts.mounts().stream().filter(m -> m.mountPoint().equals("/")).reduce((a, b) -> b).orElse(null);
        List<String> readOnly = new ArrayList<>();
        List<String> masked = new ArrayList<>();
        List<ProcFacts.Mount> all = facts.mounts();
        for (int i = 0; i < all.size(); i++) {
            ProcFacts.Mount mount = all.get(i);
            String point = mount.mountPoint();
            if (coveredLater(all, i)) {
                continue; // another mount stacked on the same point hides this one (a tmpfs under cgroup2)
            }
            boolean kernelPath = point.startsWith("/proc/") || point.startsWith("/sys/");
            if (kernelPath && (mount.root().endsWith("/null") || mount.fsType().equals("tmpfs") && mount.readOnly())) {
                masked.add(point);
            } else if (mount.readOnly() && !point.equals("/")) {
                readOnly.add(point);
            }
        }
        if (root != null) {
            details.add("root: " + root.fsType() + " " + root.source() + (root.root().equals("/") ? "" : " (" + root.root() + ")")
                    + (root.readOnly() ? ", read-only" : ", writable"));
        }
        details.add(facts.mounts().size() + " mounts");
        details.add("read-only: " + (readOnly.isEmpty() ? "none" : String.join(", ", readOnly)));
        details.add("masked (/dev/null or an empty read-only tmpfs over /proc and /sys entries): "
                + (masked.isEmpty() ? "none" : String.join(", ", masked)));
        if (hostMounts) {
            return new Layer("mounts", Verdict.NOT_ISOLATED, "the host's mount table (same mount namespace)", details);
        }
        String summary = "its own mount table: root " + (root == null ? "?" : root.fsType() + (root.readOnly() ? " read-only" : " writable"))
                + ", " + readOnly.size() + " read-only, " + masked.size() + " masked";
        return new Layer("mounts", root != null && root.readOnly() && !masked.isEmpty() ? Verdict.ISOLATED : Verdict.PARTLY,
                summary, details);
    }

    private static boolean coveredLater(List<ProcFacts.Mount> mounts, int index) {
        for (int j = index + 1; j < mounts.size(); j++) {
            if (mounts.get(j).mountPoint().equals(mounts.get(index).mountPoint())) {
                return true;
            }
        }
        return false;
    }

    /** The caller's cgroup v2 mount point (the unified hierarchy), from its own mountinfo. */
    public static Optional<Path> cgroupV2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ", 2);
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                return Optional.of(Path.of(halves[0].split(" ")[4]));
            }
        }
        return Optional.empty();
    }

    /** The text {@code inspect} prints: a verdict line per layer, then its facts indented. */
    public String toText() {
        StringBuilder text = new StringBuilder();
        text.append("process ").append(pid).append(": ").append(isolated() ? "isolated by the layers marked isolated or partly below"
                : "not isolated: it shares everything with the host").append('\n');
        for (Layer layer : layers) {
            text.append(String.format("%-13s %-12s %s%n", layer.name(), verdictWord(layer.verdict()), layer.summary()));
            for (String detail : layer.details()) {
                text.append("    ").append(detail).append('\n');
            }
        }
        return text.toString();
    }

    private static String verdictWord(Verdict verdict) {
        return switch (verdict) {
            case ISOLATED -> "isolated";
            case PARTLY -> "partly";
            case NOT_ISOLATED -> "not isolated";
            case UNKNOWN -> "unknown";
        };
    }

    /** The JSON shape of {@code inspect --json}. */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pid", pid);
        out.put("isolated", isolated());
        List<Map<String, Object>> list = new ArrayList<>();
        for (Layer layer : layers) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("layer", layer.name());
            l.put("verdict", verdictWord(layer.verdict()));
            l.put("summary", layer.summary());
            l.put("details", layer.details());
            list.add(l);
        }
        out.put("layers", list);
        return out;
    }
}
