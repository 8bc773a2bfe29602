package dev.bulwark.config.model;

/** Task-count limit ({@code linux.resources.pids}); -1 means unlimited. */
public record LinuxPids(Long limit) {}
