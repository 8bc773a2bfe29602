package dev.bulwark.config.model;

/** Offset of a clock in the time namespace ({@code linux.timeOffsets.monotonic|boottime}). */
public record LinuxTimeOffset(Long secs, Long nanosecs) {}
