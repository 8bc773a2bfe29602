package dev.bulwark.config.model;

/**
 * Memory limits in bytes ({@code linux.resources.memory}); -1 means unlimited. {@code kernel} is
 * deprecated by the spec and ignored on cgroup v2.
 */
public record LinuxMemory(
        Long limit,
        Long reservation,
        Long swap,
        Long kernel,
        Long kernelTCP,
        Long swappiness,
        Boolean disableOOMKiller,
        Boolean useHierarchy,
        Boolean checkBeforeUpdate) {

    public static LinuxMemory withLimit(long limit) {
        return new LinuxMemory(limit, null, null, null, null, null, null, null, null);
    }
}
