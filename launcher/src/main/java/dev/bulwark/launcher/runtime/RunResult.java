package dev.bulwark.launcher.runtime;

/**
 * How a container ended.
 *
 * @param exitStatus the shell convention: the workload's exit code, or 128 + the signal that killed it
 * @param signal     the terminating signal, or 0 when it exited
 * @param pid        the container's init process as the host saw it
 * @param durationMillis from clone to reaping
 * @param oomKilled  whether the container's cgroup recorded an OOM kill
 */
public record RunResult(String id, int exitStatus, int signal, int pid, long durationMillis, boolean oomKilled) {
}
