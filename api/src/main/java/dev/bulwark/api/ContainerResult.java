package dev.bulwark.api;

/**
 * How a container ended, with all it wrote.
 *
 * @param id             the container's id
 * @param exitStatus     the workload's exit code, or 128 + the signal that killed it (shell convention)
 * @param signal         the signal that ended it, 0 when it exited
 * @param stdout         everything it wrote to its standard output (UTF-8)
 * @param stderr         everything it wrote to its standard error (UTF-8)
 * @param durationMillis from clone to reaping
 * @param oomKilled      whether its cgroup recorded an out-of-memory kill
 */
public record ContainerResult(String id, int exitStatus, int signal, String stdout, String stderr, long durationMillis,
                              boolean oomKilled) {
}
