package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What bounds the default limits' threats where cgroup v2 cannot apply them: without it the container
 * inherits the launcher's RLIMIT_NPROC (root's is above pid_max) and has no memory bound at all.
 *
 * <ul>
 *   <li>pids: RLIMIT_NPROC at the pids limit. Since Linux 5.14 it counts the processes and threads of
 *       the container's user in the container's own user namespace, so a fork bomb stops there.</li>
 *   <li>memory: RLIMIT_DATA, which counts a process's private writable memory but not address space
 *       reserved without access (RLIMIT_AS would stop a JVM, which reserves gigabytes). It bounds
 *       each process, not the container. It is the memory limit plus 1/64 of the host's RAM: a JVM
 *       that sees no cgroup limit commits that much heap at start (G1's initial heap), and must still
 *       run.</li>
 * </ul>
 * A limit the config sets in process.rlimits itself is left as it is.
 *
 * @param rlimits the limits the child sets before execve
 * @param summary "RLIMIT_NPROC=1024 and RLIMIT_DATA=888M (per process)", or "no rlimit" when none applies
 */
record LimitFallback(List<PosixRlimit> rlimits, String summary) {
    static final String NPROC = "RLIMIT_NPROC";
    static final String DATA = "RLIMIT_DATA";
    /** The JVM's default initial heap is 1/64 of the RAM it sees (InitialRAMPercentage 1.5625). */
    private static final long JVM_INITIAL_HEAP_FRACTION = 64;
    private static final long MIB = 1L << 20;

    LimitFallback {
        rlimits = List.copyOf(rlimits);
    }

    static LimitFallback none() {
        return new LimitFallback(List.of(), "no rlimit");
    }

    /** The fallback for {@code resources} in a process that already sets {@code configured}. */
    static LimitFallback of(LinuxResources resources, List<PosixRlimit> configured, long physicalMemoryBytes) {
        List<PosixRlimit> rlimits = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        if (resources.pids() != null && resources.pids().limit() > 0 && !sets(configured, NPROC)) {
            long limit = resources.pids().limit();
            rlimits.add(new PosixRlimit(NPROC, limit, limit));
            parts.add(NPROC + "=" + limit);
        }
        Long memory = resources.memory() == null ? null : resources.memory().limit();
        if (memory != null && memory > 0 && !sets(configured, DATA)) {
            long bytes = roundUpToMib(memory + physicalMemoryBytes / JVM_INITIAL_HEAP_FRACTION);
            rlimits.add(new PosixRlimit(DATA, bytes, bytes));
            parts.add(DATA + "=" + bytes / MIB + "M (per process)");
        }
        return rlimits.isEmpty() ? none() : new LimitFallback(rlimits, String.join(" and ", parts));
    }

    /** MemTotal of /proc/meminfo in bytes. */
    static long hostMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new LaunchException("/proc/meminfo has no MemTotal line (needed for the default memory limit's fallback)");
        } catch (IOException e) {
            throw new LaunchException("cannot read /proc/meminfo (needed for the default memory limit's fallback): " + e.getMessage(), e);
        }
    }

    private static boolean sets(List<PosixRlimit> configured, String type) {
        return configured.stream().anyMatch(r -> r.type().equals(type));
    }

    private static long roundUpToMib(long bytes) {
        return (bytes + MIB - 1) / MIB * MIB;
    }
}
