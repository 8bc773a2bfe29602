package dev.bulwark.config.validation;

import dev.bulwark.config.model.LinuxBlockIO;
import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxDeviceCgroup;
import dev.bulwark.config.model.LinuxHugepageLimit;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.LinuxThrottleDevice;
import dev.bulwark.config.model.LinuxWeightDevice;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Rules for {@code linux.resources}, using the kernel's cgroup limits. */
final class ResourceRules {
    private ResourceRules() {}

    private static final String BASE = "linux.resources";
    private static final long MIN_CFS_PERIOD_US = 1_000;
    private static final long MAX_CFS_PERIOD_US = 1_000_000;
    private static final long MIN_CFS_QUOTA_US = 1_000;

    static void check(LinuxResources resources, Problems problems) {
        checkDeviceRules(resources.devices(), problems);
        if (resources.memory() != null) {
            checkMemory(resources.memory(), problems);
        }
        if (resources.cpu() != null) {
            checkCpu(resources.cpu(), problems);
        }
        if (resources.pids() != null) {
            if (resources.pids().limit() == null) {
                problems.add(BASE + ".pids.limit", "required");
            } else {
                // 0 is "no limit set" as in runc 1.1 (Podman writes it for --pids-limit=0 and --pids-limit=-1)
                if (resources.pids().limit() != 0) {
                    problems.positiveOrUnlimited(BASE + ".pids.limit", resources.pids().limit());
                }
            }
        }
        if (resources.blockIO() != null) {
            checkBlockIo(resources.blockIO(), problems);
        }
        checkHugepages(resources.hugepageLimits(), problems);
        if (resources.network() != null) {
            problems.uint32(BASE + ".network.classID", resources.network().classID());
        }
        resources.rdma().forEach((device, rdma) -> {
            String at = Problems.key(BASE + ".rdma", device);
            ResourceSyntax.rdmaDeviceProblem(device).ifPresent(reason -> problems.add(at, reason));
            problems.uint32(at + ".hcaHandles", rdma.hcaHandles());
            problems.uint32(at + ".hcaObjects", rdma.hcaObjects());
        });
        for (Map.Entry<String, String> entry : resources.unified().entrySet()) {
            String at = Problems.key(BASE + ".unified", entry.getKey());
            ResourceSyntax.unifiedKeyProblem(entry.getKey()).ifPresent(reason -> problems.add(at, reason));
            if (entry.getValue() == null) {
                problems.add(at, "required");
            }
        }
    }

    private static void checkDeviceRules(List<LinuxDeviceCgroup> rules, Problems problems) {
        for (int i = 0; i < rules.size(); i++) {
            LinuxDeviceCgroup rule = rules.get(i);
            String at = Problems.at(BASE + ".devices", i);
            if (rule.type() != null && !Set.of("a", "b", "c").contains(rule.type())) {
                problems.add(at + ".type", "unknown device type \"" + rule.type() + "\" (expected a, b or c)");
            }
            // -1 is accepted as "any" (the spec's null), as runc does.
            if (rule.major() != null && rule.major() < -1) {
                problems.add(at + ".major", "must not be negative");
            }
            if (rule.minor() != null && rule.minor() < -1) {
                problems.add(at + ".minor", "must not be negative");
            }
            String access = rule.access();
            if (access != null && !access.isEmpty() && !access.matches("(?!.*(.).*\\1)[rwm]+")) {
                problems.add(at + ".access", "must be a combination of r, w and m");
            }
        }
    }

    private static void checkMemory(LinuxMemory memory, Problems problems) {
        String at = BASE + ".memory";
        problems.positiveOrUnlimited(at + ".limit", memory.limit());
        problems.positiveOrUnlimited(at + ".reservation", memory.reservation());
        problems.positiveOrUnlimited(at + ".swap", memory.swap());
        problems.positiveOrUnlimited(at + ".kernel", memory.kernel());
        problems.positiveOrUnlimited(at + ".kernelTCP", memory.kernelTCP());
        problems.inRange(at + ".swappiness", memory.swappiness(), 0, 100);
        // The spec's swap is memory+swap (cgroup v1 memsw), so it cannot be below the limit.
        Long limit = memory.limit();
        Long swap = memory.swap();
        if (limit != null && swap != null && limit > 0 && swap > 0 && swap < limit) {
            problems.add(at + ".swap", "must be at least memory.limit (it limits memory+swap)");
        }
        if (limit != null && limit == -1 && swap != null && swap > 0) {
            problems.add(at + ".swap", "must be -1 when memory.limit is -1");
        }
        if ((limit == null || limit == 0) && swap != null && swap > 0) {
            problems.add(at + ".swap", "a finite memory+swap limit needs a finite memory.limit");
        }
    }

    private static void checkCpu(LinuxCpu cpu, Problems problems) {
        String at = BASE + ".cpu";
        // cgroup v1 cpu.shares range; runtimes map it onto cgroup v2's cpu.weight.
        problems.inRange(at + ".shares", cpu.shares(), 2, 262_144);
        Long quota = cpu.quota();
        if (quota != null && quota != -1 && quota < MIN_CFS_QUOTA_US) {
            problems.add(at + ".quota", "must be at least " + MIN_CFS_QUOTA_US + " (microseconds) or -1 (unlimited)");
        }
        problems.inRange(at + ".period", cpu.period(), MIN_CFS_PERIOD_US, MAX_CFS_PERIOD_US);
        if (cpu.burst() != null) {
            if (cpu.burst() < 0) {
                problems.add(at + ".burst", "must not be negative");
            } else if (quota != null && quota > 0 && cpu.burst() > quota) {
                problems.add(at + ".burst", "must not exceed cpu.quota");
            }
        }
        problems.positive(at + ".realtimePeriod", cpu.realtimePeriod());
        if (cpu.realtimeRuntime() != null && cpu.realtimeRuntime() < -1) {
            problems.add(at + ".realtimeRuntime", "must not be negative (or -1 for unlimited)");
        } else if (cpu.realtimeRuntime() != null && cpu.realtimePeriod() != null
                && cpu.realtimeRuntime() > cpu.realtimePeriod()) {
            problems.add(at + ".realtimeRuntime", "must not exceed cpu.realtimePeriod");
        }
        checkCpuList(at + ".cpus", cpu.cpus(), problems);
        checkCpuList(at + ".mems", cpu.mems(), problems);
        problems.inRange(at + ".idle", cpu.idle(), 0, 1);
    }

    private static void checkCpuList(String path, String list, Problems problems) {
        ResourceSyntax.cpuListProblem(list).ifPresent(reason -> problems.add(path, reason));
    }

    private static void checkBlockIo(LinuxBlockIO io, Problems problems) {
        String at = BASE + ".blockIO";
        problems.inRange(at + ".weight", io.weight(), 10, 1000);
        problems.inRange(at + ".leafWeight", io.leafWeight(), 10, 1000);
        for (int i = 0; i < io.weightDevice().size(); i++) {
            LinuxWeightDevice dev = io.weightDevice().get(i);
            String d = Problems.at(at + ".weightDevice", i);
            problems.nonNegative(d + ".major", dev.major());
            problems.nonNegative(d + ".minor", dev.minor());
            problems.inRange(d + ".weight", dev.weight(), 10, 1000);
            problems.inRange(d + ".leafWeight", dev.leafWeight(), 10, 1000);
        }
        checkThrottles(at + ".throttleReadBpsDevice", io.throttleReadBpsDevice(), problems);
        checkThrottles(at + ".throttleWriteBpsDevice", io.throttleWriteBpsDevice(), problems);
        checkThrottles(at + ".throttleReadIOPSDevice", io.throttleReadIOPSDevice(), problems);
        checkThrottles(at + ".throttleWriteIOPSDevice", io.throttleWriteIOPSDevice(), problems);
    }

    private static void checkThrottles(String path, List<LinuxThrottleDevice> devices, Problems problems) {
        for (int i = 0; i < devices.size(); i++) {
            LinuxThrottleDevice dev = devices.get(i);
            String d = Problems.at(path, i);
            problems.nonNegative(d + ".major", dev.major());
            problems.nonNegative(d + ".minor", dev.minor());
            problems.nonNegative(d + ".rate", dev.rate());
        }
    }

    private static void checkHugepages(List<LinuxHugepageLimit> limits, Problems problems) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < limits.size(); i++) {
            LinuxHugepageLimit limit = limits.get(i);
            String at = Problems.at(BASE + ".hugepageLimits", i);
            var problem = ResourceSyntax.pageSizeProblem(limit.pageSize());
            if (problem.isPresent()) {
                problems.add(at + ".pageSize", problem.get());
            } else if (!seen.add(limit.pageSize())) {
                problems.add(at + ".pageSize", "duplicate page size \"" + limit.pageSize() + "\"");
            }
            problems.nonNegative(at + ".limit", limit.limit());
        }
    }
}
