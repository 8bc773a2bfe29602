package dev.bulwark.config.model;

/**
 * CPU controls ({@code linux.resources.cpu}); quota/period/burst in microseconds, cpus/mems in
 * cpuset list syntax ("0-3,7").
 */
public record LinuxCpu(
        Long shares,
        Long quota,
        Long burst,
        Long period,
        Long realtimeRuntime,
        Long realtimePeriod,
        String cpus,
        String mems,
        Long idle) {}
