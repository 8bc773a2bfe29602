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
 * @param summary "RLIMIT_NPROC=1024 and RLIMIT_DATA=888M (per process, private memory)", for the warning line
 */
record LimitFallback(List<PosixRlimit> rlimits, String summary) {
    static final String NPROC = "RLIMIT_NPROC";
    static final String DATA = "RLIMIT_DATA";
    /** The JVM's default initial heap is 1/64 of the RAM it sees (InitialRAMPercentage 1.5625). */
    private static final long JVM_INITIAL_HEAP_FRACTION = 64;
    private static final long MIB = 1L << 20;
    /** Width of the name column in /proc/PID/limits (the kernel prints "%-25s "). */
    private static final int NAME_COLUMN = 26;

    LimitFallback {
        rlimits = List.copyOf(rlimits);
    }

    static LimitFallback none() {
        return new LimitFallback(List.of(), "only the config's own process.rlimits");
    }

    /**
     * The fallback for {@code resources} in a process that already sets {@code configured}, launched
     * from a process with {@code inherited} limits: a lower inherited limit stays (the child cannot
     * raise a hard limit, and need not).
     */
    static LimitFallback of(LinuxResources resources, List<PosixRlimit> configured, long physicalMemoryBytes,
                            List<PosixRlimit> inherited) {
        List<PosixRlimit> rlimits = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        if (resources.pids() != null && resources.pids().limit() > 0 && !sets(configured, NPROC)) {
            PosixRlimit limit = capped(NPROC, resources.pids().limit(), inherited);
            rlimits.add(limit);
            parts.add(NPROC + "=" + Long.toUnsignedString(limit.hard()));
        }
        Long memory = resources.memory() == null ? null : resources.memory().limit();
        if (memory != null && memory > 0 && !sets(configured, DATA)) {
            PosixRlimit limit = capped(DATA, roundUpToMib(memory + physicalMemoryBytes / JVM_INITIAL_HEAP_FRACTION), inherited);
            rlimits.add(limit);
            parts.add(DATA + "=" + Long.toUnsignedString(limit.hard() / MIB) + "M (per process, private memory)");
        }
        return rlimits.isEmpty() ? none() : new LimitFallback(rlimits, String.join(" and ", parts));
    }

    private static PosixRlimit capped(String type, long value, List<PosixRlimit> inherited) {
        long hard = value;
        long soft = value;
        for (PosixRlimit current : inherited) {
            if (current.type().equals(type)) {
                hard = unsignedMin(hard, current.hard());
                soft = unsignedMin(soft, current.soft());
            }
        }
        return new PosixRlimit(type, hard, unsignedMin(soft, hard)); // (type, hard, soft), as OCI orders them
    }

    private static long unsignedMin(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /**
     * This process's RLIMIT_NPROC and RLIMIT_DATA, which the child inherits, from /proc/self/limits
     * ("unlimited" is RLIM_INFINITY, all bits set).
     */
    static List<PosixRlimit> inherited() {
        List<PosixRlimit> limits = new ArrayList<>();
        try {
            for (String line : Files.readString(Path.of("/proc/self/limits")).split("\n")) {
                String type = line.startsWith("Max processes") ? NPROC : line.startsWith("Max data size") ? DATA : null;
                if (type != null) {
                    String[] fields = line.substring(NAME_COLUMN).trim().split("\\s+"); // soft, hard, units
                    limits.add(new PosixRlimit(type, rlimitValue(fields[1]), rlimitValue(fields[0])));
                }
            }
            return limits;
        } catch (IOException | RuntimeException e) {
            throw new LaunchException("cannot read /proc/self/limits (needed for the default limits' fallback): " + e, e);
        }
    }

    private static long rlimitValue(String field) {
        return field.equals("unlimited") ? -1L : Long.parseUnsignedLong(field);
    }

    /** MemTotal of /proc/meminfo in bytes. */
    static long hostMemory() {
        try {
            for (String line : Files.readString(Path.of("/proc/meminfo")).split("\n")) { // MemTotal is the first line
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.substring("MemTotal:".length(), line.length() - (line.endsWith("kB") ? 2 : 0)).strip())
                            * 1024;
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
