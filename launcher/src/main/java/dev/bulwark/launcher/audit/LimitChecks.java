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
        return BenchmarkItems.PIDS.with(Status.WARN, "no pids limit");
    }

    private static String mebibytes(long bytes) {
        return bytes % (1 << 20) == 0 ? bytes / (1 << 20) + " MiB" : bytes + " bytes";
    }
}
