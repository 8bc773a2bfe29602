package dev.bulwark.launcher.cgroup;

import dev.bulwark.config.model.LinuxBlockIO;
import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxHugepageLimit;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxPids;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.LinuxThrottleDevice;
import dev.bulwark.config.model.LinuxWeightDevice;
import dev.bulwark.config.validation.ResourceSyntax;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Translates OCI {@code linux.resources} into cgroup v2 interface-file writes. Pure: no file
 * system access. The conversions follow runc (libcontainer/cgroups/fs2 and cgroups/utils.go) so
 * that a config behaves the same under Bulwark as under runc and crun.
 */
public final class ResourceTranslator {
    static final String PREFIX = "linux.resources.";

    /** The writes, in the order they are applied, and notes on fields that have no v2 meaning. */
    public record Translation(List<CgroupWrite> writes, List<String> warnings) {
        public Translation {
            writes = List.copyOf(writes);
            warnings = List.copyOf(warnings);
        }
    }

    private final List<CgroupWrite> writes = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    private ResourceTranslator() {}

    /** Throws {@link CgroupException} naming the field for any value the kernel would reject or misread. */
    public static Translation translate(LinuxResources resources) throws CgroupException {
        ResourceTranslator t = new ResourceTranslator();
        if (resources != null) {
            t.memory(resources.memory());
            t.pids(resources.pids());
            t.cpu(resources.cpu());
            t.blockIO(resources.blockIO());
            t.hugepages(resources.hugepageLimits());
            t.rdma(resources.rdma());
            if (resources.network() != null) {
                t.warnings.add(PREFIX + "network: classID and priorities are cgroup v1 only; ignored");
            }
            t.unified(resources.unified());
        }
        return new Translation(t.writes, t.warnings);
    }

    private void memory(LinuxMemory m) throws CgroupException {
        if (m == null) {
            return;
        }
        String field = PREFIX + "memory.";
        long limit = m.limit() == null ? 0 : m.limit();
        if (m.limit() != null) {
            requireLimit(field + "limit", limit);
            if (limit != 0) {
                add(Controller.MEMORY, "memory.max", maxOrNumber(limit), field + "limit");
            }
        }
        if (m.reservation() != null) {
            requireLimit(field + "reservation", m.reservation());
            if (m.reservation() != 0) {
                add(Controller.MEMORY, "memory.low", maxOrNumber(m.reservation()), field + "reservation");
            }
        }
        if (m.swap() != null && m.swap() != 0) {
            add(Controller.MEMORY, "memory.swap.max", swapMax(m.swap(), limit), field + "swap");
        }
        ignoredV1(field + "kernel", m.kernel() != null && m.kernel() != 0);
        ignoredV1(field + "kernelTCP", m.kernelTCP() != null && m.kernelTCP() != 0);
        ignoredV1(field + "swappiness", m.swappiness() != null);
        ignoredV1(field + "disableOOMKiller", Boolean.TRUE.equals(m.disableOOMKiller()));
    }

    /**
     * OCI's {@code swap} is memory+swap (the v1 memsw limit); v2's memory.swap.max is swap alone.
     * Same rules as runc's {@code ConvertMemorySwapToCgroupV2Value}: -1 is unlimited, and a
     * finite value needs a finite memory limit no larger than it.
     */
    static String swapMax(long memoryPlusSwap, long memoryLimit) throws CgroupException {
        String field = PREFIX + "memory.swap";
        if (memoryPlusSwap == -1) {
            return "max";
        }
        if (memoryPlusSwap < -1) {
            throw new CgroupException(field + ": " + memoryPlusSwap + " is not a byte count (use -1 for unlimited)");
        }
        if (memoryLimit <= 0) {
            throw new CgroupException(field + ": a finite memory+swap limit needs a finite "
                    + PREFIX + "memory.limit (OCI swap is memory+swap)");
        }
        if (memoryPlusSwap < memoryLimit) {
            throw new CgroupException(field + ": " + memoryPlusSwap + " is below memory.limit " + memoryLimit
                    + " (OCI swap is memory+swap, so it must be >= the memory limit)");
        }
        return Long.toString(memoryPlusSwap - memoryLimit);
    }

    private void pids(LinuxPids p) throws CgroupException {
        if (p == null || p.limit() == null) {
            return;
        }
        long limit = p.limit();
        if (limit < -1) {
            throw new CgroupException(PREFIX + "pids.limit: " + limit + " is not a task count (use -1 for unlimited)");
        }
        // As runc 1.1: 0 sets nothing (Podman's --pids-limit=-1 writes it: no pids controller needed), -1 is max.
        if (limit != 0) {
            add(Controller.PIDS, "pids.max", limit > 0 ? Long.toString(limit) : "max", PREFIX + "pids.limit");
        }
    }

    private void cpu(LinuxCpu c) throws CgroupException {
        if (c == null) {
            return;
        }
        String field = PREFIX + "cpu.";
        if (c.shares() != null && c.shares() != 0) {
            add(Controller.CPU, "cpu.weight", Long.toString(cpuWeight(c.shares())), field + "shares");
        }
        long quota = c.quota() == null ? 0 : c.quota();
        long period = c.period() == null ? 0 : c.period();
        if (quota != 0 || period != 0) {
            add(Controller.CPU, "cpu.max", cpuMax(quota, period), field + (quota != 0 ? "quota" : "period"));
        }
        if (c.burst() != null) {
            if (c.burst() < 0) {
                throw new CgroupException(field + "burst: " + c.burst() + " must be >= 0 microseconds");
            }
            add(Controller.CPU, "cpu.max.burst", Long.toString(c.burst()), field + "burst");
        }
        if (c.idle() != null) {
            if (c.idle() != 0 && c.idle() != 1) {
                throw new CgroupException(field + "idle: " + c.idle() + " must be 0 or 1");
            }
            add(Controller.CPU, "cpu.idle", Long.toString(c.idle()), field + "idle");
        }
        if ((c.realtimeRuntime() != null && c.realtimeRuntime() != 0)
                || (c.realtimePeriod() != null && c.realtimePeriod() != 0)) {
            throw new CgroupException(field + "realtimeRuntime/realtimePeriod: real-time group scheduling"
                    + " does not exist in cgroup v2");
        }
        if (c.cpus() != null && !c.cpus().isEmpty()) {
            add(Controller.CPUSET, "cpuset.cpus", cpuList(field + "cpus", c.cpus()), field + "cpus");
        }
        if (c.mems() != null && !c.mems().isEmpty()) {
            add(Controller.CPUSET, "cpuset.mems", cpuList(field + "mems", c.mems()), field + "mems");
        }
    }

    /**
     * v1 cpu.shares (2..262144, default 1024) to v2 cpu.weight (1..10000, default 100), runc's
     * linear map from libcontainer/cgroups/utils.go {@code ConvertCPUSharesToCgroupV2Value}:
     * {@code 1 + ((shares - 2) * 9999) / 262142}. Note 1024 maps to 39, not 100, exactly as in runc.
     */
    static long cpuWeight(long shares) throws CgroupException {
        if (shares < 2 || shares > 262144) {
            throw new CgroupException(PREFIX + "cpu.shares: " + shares + " is out of range 2..262144");
        }
        return 1 + ((shares - 2) * 9999) / 262142;
    }

    /** "QUOTA PERIOD" in microseconds; a quota of -1 or 0 (unset) is "max"; period defaults to 100000 as in the kernel. */
    static String cpuMax(long quota, long period) throws CgroupException {
        String field = PREFIX + "cpu.";
        long effectivePeriod = period == 0 ? 100_000 : period;
        // Kernel bounds (kernel/sched/core.c): period 1 ms..1 s, quota at least 1 ms.
        if (effectivePeriod < 1_000 || effectivePeriod > 1_000_000) {
            throw new CgroupException(field + "period: " + period + " is out of range 1000..1000000 microseconds");
        }
        if (quota < -1 || (quota > 0 && quota < 1_000)) {
            throw new CgroupException(field + "quota: " + quota + " must be -1 (unlimited) or >= 1000 microseconds");
        }
        return (quota > 0 ? Long.toString(quota) : "max") + " " + effectivePeriod;
    }

    private void blockIO(LinuxBlockIO b) throws CgroupException {
        if (b == null) {
            return;
        }
        String field = PREFIX + "blockIO.";
        if (b.weight() != null && b.weight() != 0) {
            int w = ioWeightInRange(field + "weight", b.weight());
            // BFQ takes the v1 range itself; without BFQ, io.weight (iocost) needs the 1..10000 range.
            writes.add(CgroupWrite.of(Controller.IO, "io.bfq.weight", Integer.toString(w), field + "weight")
                    .orElse(CgroupWrite.of(Controller.IO, "io.weight", "default " + ioWeight(w), field + "weight")));
        }
        ignoredV1(field + "leafWeight", b.leafWeight() != null && b.leafWeight() != 0);
        for (LinuxWeightDevice d : b.weightDevice()) {
            String devField = field + "weightDevice[" + d.major() + ":" + d.minor() + "]";
            ignoredV1(devField + ".leafWeight", d.leafWeight() != null && d.leafWeight() != 0);
            if (d.weight() == null || d.weight() == 0) {
                continue;
            }
            int w = ioWeightInRange(devField + ".weight", d.weight());
            String dev = d.major() + ":" + d.minor();
            writes.add(CgroupWrite.of(Controller.IO, "io.bfq.weight", dev + " " + w, devField)
                    .orElse(CgroupWrite.of(Controller.IO, "io.weight", dev + " " + ioWeight(w), devField)));
        }
        // io.max takes all four limits of a device on one line; gather them per device first.
        Map<String, StringBuilder> perDevice = new LinkedHashMap<>();
        throttle(perDevice, b.throttleReadBpsDevice(), "rbps", field + "throttleReadBpsDevice");
        throttle(perDevice, b.throttleWriteBpsDevice(), "wbps", field + "throttleWriteBpsDevice");
        throttle(perDevice, b.throttleReadIOPSDevice(), "riops", field + "throttleReadIOPSDevice");
        throttle(perDevice, b.throttleWriteIOPSDevice(), "wiops", field + "throttleWriteIOPSDevice");
        perDevice.forEach((dev, line) ->
                writes.add(CgroupWrite.of(Controller.IO, "io.max", dev + line, field + "throttle*Device[" + dev + "]")));
    }

    private static void throttle(Map<String, StringBuilder> perDevice, List<LinuxThrottleDevice> devices,
                                 String key, String field) throws CgroupException {
        for (LinuxThrottleDevice d : devices) {
            if (d.rate() < 0) {
                throw new CgroupException(field + "[" + d.major() + ":" + d.minor() + "].rate: " + d.rate()
                        + " is above the largest supported rate");
            }
            // A rate of 0 removes the limit in v1; "max" is the v2 spelling.
            String rate = d.rate() == 0 ? "max" : Long.toString(d.rate());
            perDevice.computeIfAbsent(d.major() + ":" + d.minor(), k -> new StringBuilder())
                    .append(' ').append(key).append('=').append(rate);
        }
    }

    private static int ioWeightInRange(String field, int weight) throws CgroupException {
        if (weight < 10 || weight > 1000) {
            throw new CgroupException(field + ": " + weight + " is out of range 10..1000");
        }
        return weight;
    }

    /** v1 blkio weight (10..1000) to v2 io.weight (1..10000): runc's {@code 1 + (weight-10)*9999/990}. */
    static long ioWeight(int blkioWeight) {
        return 1 + (blkioWeight - 10L) * 9999 / 990;
    }

    private void hugepages(List<LinuxHugepageLimit> limits) throws CgroupException {
        for (LinuxHugepageLimit h : limits) {
            String field = PREFIX + "hugepageLimits[" + h.pageSize() + "]";
            rejectIfPresent(field + ".pageSize", ResourceSyntax.pageSizeProblem(h.pageSize()));
            add(Controller.HUGETLB, "hugetlb." + h.pageSize() + ".max", maxOrNumber(h.limit()), field + ".limit");
        }
    }

    private void rdma(Map<String, dev.bulwark.config.model.LinuxRdma> rdma) throws CgroupException {
        for (var entry : rdma.entrySet()) {
            String device = entry.getKey();
            String field = PREFIX + "rdma." + device;
            rejectIfPresent(field, ResourceSyntax.rdmaDeviceProblem(device));
            var limits = entry.getValue();
            StringBuilder line = new StringBuilder(device);
            if (limits.hcaHandles() != null) {
                line.append(" hca_handle=").append(limits.hcaHandles());
            }
            if (limits.hcaObjects() != null) {
                line.append(" hca_object=").append(limits.hcaObjects());
            }
            if (!line.toString().equals(device)) {
                add(Controller.RDMA, "rdma.max", line.toString(), field);
            }
        }
    }

    /**
     * {@code unified} entries are written verbatim after everything else, so they override a
     * translated value for the same file, as in runc. Keys must be plain interface-file names.
     */
    private void unified(Map<String, String> unified) throws CgroupException {
        for (var entry : unified.entrySet()) {
            String key = entry.getKey();
            String field = PREFIX + "unified[\"" + key + "\"]";
            rejectIfPresent(field, ResourceSyntax.unifiedKeyProblem(key));
            String value = entry.getValue();
            if (value == null) {
                throw new CgroupException(field + ": the value is null");
            }
            Optional<Controller> controller = Controller.owningFile(key); // empty for the core cgroup.* files
            writes.add(new CgroupWrite(key, value, controller, field, Optional.empty()));
        }
    }

    private void add(Controller controller, String file, String value, String field) {
        writes.add(CgroupWrite.of(controller, file, value, field));
    }

    private void ignoredV1(String field, boolean set) {
        if (set) {
            warnings.add(field + " has no cgroup v2 equivalent; ignored");
        }
    }

    private static void requireLimit(String field, long value) throws CgroupException {
        if (value < -1) {
            throw new CgroupException(field + ": " + value + " is not a byte count (use -1 for unlimited)");
        }
    }

    private static String maxOrNumber(long value) {
        return value == -1 ? "max" : Long.toString(value);
    }

    private static String cpuList(String field, String list) throws CgroupException {
        rejectIfPresent(field, ResourceSyntax.cpuListProblem(list));
        return list;
    }

    private static void rejectIfPresent(String field, Optional<String> problem) throws CgroupException {
        if (problem.isPresent()) {
            throw new CgroupException(field + ": " + problem.get());
        }
    }
}
