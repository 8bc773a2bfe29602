package dev.bulwark.launcher.audit;

import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.Spec;

import java.util.ArrayList;
import java.util.List;

/** Items about cgroup limits: memory (5.11), CPU (5.12), pids (5.29). */
final class LimitChecks {
    private LimitChecks() {
    }

    private static LinuxResources resources(Spec spec) {
        return spec.linux().resources();
    }

    static Finding memory(Spec spec) {
        LinuxResources resources = resources(spec);
        Long limit = resources == null || resources.memory() == null ? null : resources.memory().limit();
        if (limit != null && limit > 0) {
            return BenchmarkItems.MEMORY.with(Status.PASS, "memory limit " + mebibytes(limit));
        }
        String unified = unified(resources, "memory.max");
        if (unified != null) {
            return BenchmarkItems.MEMORY.with(Status.PASS, "unified memory.max " + unified);
        }
        return BenchmarkItems.MEMORY.with(Status.WARN, "no memory limit");
    }

    static Finding cpu(Spec spec) {
        LinuxResources resources = resources(spec);
        LinuxCpu cpu = resources == null ? null : resources.cpu();
        List<String> set = new ArrayList<>();
        if (cpu != null) {
            if (cpu.shares() != null && cpu.shares() > 0) {
                set.add("shares " + cpu.shares());
            }
            if (cpu.quota() != null && cpu.quota() > 0) {
                set.add("quota " + cpu.quota() + " per period " + (cpu.period() == null ? 100000 : cpu.period()) + " µs");
            }
            if (cpu.cpus() != null && !cpu.cpus().isEmpty()) {
                set.add("cpus " + cpu.cpus());
            }
        }
        for (String key : List.of("cpu.weight", "cpu.max", "cpuset.cpus")) {
            String value = unified(resources, key);
            if (value != null) {
                set.add("unified " + key + " " + value);
            }
        }
        if (!set.isEmpty()) {
            return BenchmarkItems.CPU.with(Status.PASS, String.join(", ", set));
        }
        return BenchmarkItems.CPU.with(Status.WARN, "no CPU weight, quota or cpu set");
    }

    static Finding pids(Spec spec) {
        LinuxResources resources = resources(spec);
        Long limit = resources == null || resources.pids() == null ? null : resources.pids().limit();
        if (limit != null && limit > 0) {
            return BenchmarkItems.PIDS.with(Status.PASS, "pids limit " + limit);
        }
        String unified = unified(resources, "pids.max");
        if (unified != null) {
            return BenchmarkItems.PIDS.with(Status.PASS, "unified pids.max " + unified);
        }
        return BenchmarkItems.PIDS.with(Status.WARN, "no pids limit");
    }

    /** A limit set through linux.resources.unified (cgroup v2 file name to value), unless it is "max": no limit. */
    private static String unified(LinuxResources resources, String file) {
        String value = resources == null ? null : resources.unified().get(file);
        return value == null || value.isBlank() || value.strip().startsWith("max") ? null : value.strip();
    }

    private static String mebibytes(long bytes) {
        return bytes % (1 << 20) == 0 ? bytes / (1 << 20) + " MiB" : bytes + " bytes";
    }
}
