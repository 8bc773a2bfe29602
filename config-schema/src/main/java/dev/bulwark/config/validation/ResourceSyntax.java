package dev.bulwark.config.validation;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The syntax of the strings in {@code linux.resources} that end up in cgroup v2 file names or
 * values: one home for the rules, so that the validator ({@link SpecValidator}) and the launcher's
 * cgroup translator accept exactly the same values and a validated config never fails translation
 * on syntax. Each check returns the reason a value is refused, or empty when it is well formed.
 */
public final class ResourceSyntax {
    private ResourceSyntax() {}

    /**
     * A hugepage size as the kernel spells it in {@code hugetlb.<size>.max}: mm/hugetlb_cgroup.c
     * prints sizes with {@code %lu} and the units "KB", "MB", "GB" (never T or P, no leading zero);
     * the runtime spec's examples are 64KB, 2MB, 1GB.
     */
    private static final Pattern PAGE_SIZE = Pattern.compile("[1-9][0-9]*[KMG]B");
    /** cpuset.cpus / cpuset.mems: comma-separated numbers or ranges, no blanks. */
    private static final Pattern CPU_LIST = Pattern.compile("[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*");
    /** CONTROLLER.FILE: upper case appears in names such as hugetlb.2MB.max. */
    private static final Pattern UNIFIED_KEY = Pattern.compile("[a-z0-9_]+\\.[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*");

    /** An RDMA device as named in rdma.max lines ("mlx4_0 hca_handle=2"): no blanks, slashes or '='. */
    private static final Pattern RDMA_DEVICE = Pattern.compile("[A-Za-z0-9_.-]+");

    /** The prefixes of cgroup v2 interface files a config may set: the core files and the controllers with files. */
    public static final Set<String> UNIFIED_PREFIXES =
            Set.of("cgroup", "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc");

    /**
     * Core files the runtime itself manages: through them a config could move processes between
     * cgroups, enable controllers for children, kill, freeze (which pause/resume own) or change the
     * cgroup's type, or replace the nesting limit the runtime writes (cgroup.max.depth; cgroup.max.descendants,
     * which the runtime leaves alone, a config may set: it only limits the container further).
     */
    public static final Set<String> RUNTIME_OWNED_FILES = Set.of(
            "cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill", "cgroup.type", "cgroup.freeze",
            "cgroup.max.depth");

    /** Why {@code pageSize} is not a hugepage size like "2MB", or empty. */
    public static Optional<String> pageSizeProblem(String pageSize) {
        if (pageSize == null) {
            return Optional.of("required");
        }
        if (!PAGE_SIZE.matcher(pageSize).matches()) {
            return Optional.of("\"" + pageSize + "\" is not a size like \"2MB\" or \"1GB\" (KB, MB or GB, as in hugetlb.<size>.max)");
        }
        return Optional.empty();
    }

    /** Why {@code list} is not a CPU or memory-node list like "0-3,7", or empty (an empty list is fine: unset). */
    public static Optional<String> cpuListProblem(String list) {
        if (list == null || list.isEmpty()) {
            return Optional.empty();
        }
        if (!CPU_LIST.matcher(list).matches()) {
            return Optional.of("\"" + list + "\" is not a list like \"0-3,7\"");
        }
        for (String range : list.split(",")) {
            String[] ends = range.split("-");
            if (ends.length == 2 && compareDecimal(ends[0], ends[1]) > 0) {
                return Optional.of("range \"" + range + "\" is reversed");
            }
        }
        return Optional.empty();
    }

    /** Why {@code key} cannot be a {@code linux.resources.unified} key, or empty. */
    public static Optional<String> unifiedKeyProblem(String key) {
        if (key == null || !UNIFIED_KEY.matcher(key).matches()) {
            return Optional.of("not a cgroup v2 interface file name like \"memory.max\" (CONTROLLER.FILE, no path separators)");
        }
        String prefix = key.substring(0, key.indexOf('.'));
        if (!UNIFIED_PREFIXES.contains(prefix)) {
            return Optional.of("unknown controller \"" + prefix + "\"");
        }
        if (RUNTIME_OWNED_FILES.contains(key)) {
            return Optional.of("managed by the runtime; must not be set");
        }
        return Optional.empty();
    }

    /** Why {@code device} cannot be a {@code linux.resources.rdma} key, or empty. */
    public static Optional<String> rdmaDeviceProblem(String device) {
        if (device == null || !RDMA_DEVICE.matcher(device).matches()) {
            return Optional.of("\"" + device + "\" is not an RDMA device name (letters, digits, '_', '.', '-')");
        }
        return Optional.empty();
    }

    /** Compares two unsigned decimal strings of any length by value. */
    private static int compareDecimal(String a, String b) {
        String x = a.replaceFirst("^0+(?=.)", "");
        String y = b.replaceFirst("^0+(?=.)", "");
        return x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
    }
}
