package dev.bulwark.launcher.cli;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.LinuxBlockIO;
import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxPids;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.StateRoot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bulwark update [--resources FILE|-] [FLAGS] ID}: runc update, new cgroup v2 limits for a container,
 * written through the same translation as create's.
 */
@Command(name = "update", mixinStandardHelpOptions = true, description = {
        "Change the resource limits of a created, running or paused container, as runc update: the OCI "
                + "linux.resources object from --resources (a file, or - for stdin, as containerd passes it), or runc's "
                + "flags, written into the container's cgroup v2 files exactly as create writes them (memory.max, "
                + "memory.low, memory.swap.max, cpu.weight, cpu.max, cpuset.cpus/mems, pids.max, io.weight, and unified "
                + "entries verbatim). A CPU quota without a period keeps the current period, and the reverse. When a "
                + "limit cannot be applied here (its controller is not enabled for the container's cgroup, as on hosts "
                + "whose controllers are in cgroup v1) nothing is written and one line names it; when the kernel refuses a "
                + "write (memory.max below the usage), the files written before it are put back.",
        "Exit status 1: no such container, it is stopped, or it has no cgroup of its own; 125: a bad value or a "
                + "limit this host cannot apply."},
        footer = {"", "Examples:",
                "  bulwark update --memory 256m --pids-limit 100 demo",
                "  bulwark update --cpu-quota 50000 --cpu-period 100000 demo",
                "  echo '{\"pids\":{\"limit\":64}}' | bulwark update --resources - demo"})
final class UpdateCommand implements Callable<Integer> {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?");

    @Option(names = {"-r", "--resources"}, paramLabel = "FILE", description = "a JSON file with the OCI linux.resources "
            + "to set, or - to read it from stdin; the other flags are then ignored, as in runc")
    String resources;

    @Option(names = "--memory", paramLabel = "BYTES", description = "memory limit (memory.max): bytes or with a "
            + "k/m/g/t suffix (binary, as runc), -1 for none")
    String memory;

    @Option(names = "--memory-reservation", paramLabel = "BYTES", description = "memory protection (memory.low), as --memory")
    String memoryReservation;

    @Option(names = "--memory-swap", paramLabel = "BYTES", description = "memory plus swap (memory.swap.max gets the "
            + "difference from the memory limit), -1 for unlimited swap")
    String memorySwap;

    @Option(names = "--kernel-memory", paramLabel = "BYTES", description = "cgroup v1 only; ignored with a warning, as runc")
    String kernelMemory;

    @Option(names = "--kernel-memory-tcp", paramLabel = "BYTES", description = "cgroup v1 only; ignored with a warning, as runc")
    String kernelMemoryTcp;

    @Option(names = {"--cpu-share", "--cpu-shares"}, paramLabel = "SHARES", description = "relative CPU weight "
            + "2..262144 (cpu.weight, converted as runc does)")
    Long cpuShares;

    @Option(names = "--cpu-quota", paramLabel = "USEC", description = "CPU time per period in microseconds, -1 for "
            + "no limit (cpu.max)")
    Long cpuQuota;

    @Option(names = "--cpu-period", paramLabel = "USEC", description = "the CPU quota's period in microseconds (cpu.max)")
    Long cpuPeriod;

    @Option(names = "--cpu-burst", paramLabel = "USEC", description = "CPU time a period may borrow (cpu.max.burst)")
    Long cpuBurst;

    @Option(names = "--cpu-idle", paramLabel = "0|1", description = "1: SCHED_IDLE for the cgroup (cpu.idle)")
    Long cpuIdle;

    @Option(names = "--cpu-rt-period", paramLabel = "USEC", description = "real-time period: no cgroup v2 equivalent "
            + "(refused unless 0)")
    Long cpuRtPeriod;

    @Option(names = "--cpu-rt-runtime", paramLabel = "USEC", description = "real-time runtime: no cgroup v2 equivalent "
            + "(refused unless 0)")
    Long cpuRtRuntime;

    @Option(names = "--cpuset-cpus", paramLabel = "LIST", description = "CPUs to run on, e.g. 0-2,4 (cpuset.cpus)")
    String cpusetCpus;

    @Option(names = "--cpuset-mems", paramLabel = "LIST", description = "memory nodes, e.g. 0 (cpuset.mems)")
    String cpusetMems;

    @Option(names = "--pids-limit", paramLabel = "N", description = "most tasks at once (pids.max); -1: no limit; 0 changes nothing (as runc)")
    Long pidsLimit;

    @Option(names = "--blkio-weight", paramLabel = "WEIGHT", description = "block I/O weight 10..1000 (io.bfq.weight "
            + "or io.weight)")
    Integer blkioWeight;

    @Option(names = "--l3-cache-schema", paramLabel = "SCHEMA", description = "Intel RDT: not supported (refused)")
    String l3CacheSchema;

    @Option(names = "--mem-bw-schema", paramLabel = "SCHEMA", description = "Intel RDT: not supported (refused)")
    String memBwSchema;

    @Parameters(paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        ContainerId container = ContainerId.parse(id, "ID");
        if (l3CacheSchema != null || memBwSchema != null) {
            throw new LaunchException((l3CacheSchema != null ? "--l3-cache-schema" : "--mem-bw-schema")
                    + ": Intel RDT is not supported by Bulwark");
        }
        LinuxResources fromFlags = resources == null ? fromFlags() : null; // values checked before the lookup
        try (StateRoot root = stateRoot.openHolding(container)) {
            Container found = Container.load(root, container);
            found.update(fromFlags != null ? fromFlags : readResources(resources));
        }
        return 0;
    }

    private LinuxResources fromFlags() {
        LinuxMemory memoryLimits = new LinuxMemory(bytes("--memory", memory), bytes("--memory-reservation", memoryReservation),
                bytes("--memory-swap", memorySwap), bytes("--kernel-memory", kernelMemory),
                bytes("--kernel-memory-tcp", kernelMemoryTcp), null, null, null, null);
        if (memoryLimits.limit() != null && memoryLimits.limit() == -1 && memoryLimits.swap() == null) {
            memoryLimits = new LinuxMemory(-1L, memoryLimits.reservation(), 0L, memoryLimits.kernel(),
                    memoryLimits.kernelTCP(), null, null, null, null); // as runc: swap 0 (unchanged) with no memory limit
        }
        LinuxCpu cpu = new LinuxCpu(cpuShares, cpuQuota, cpuBurst, cpuPeriod, cpuRtRuntime, cpuRtPeriod, cpusetCpus,
                cpusetMems, cpuIdle);
        LinuxBlockIO blockIO = blkioWeight == null ? null : new LinuxBlockIO(blkioWeight, null, null, null, null, null, null);
        return new LinuxResources(null, memoryLimits, cpu, pidsLimit == null ? null : new LinuxPids(pidsLimit), blockIO,
                null, null, null, null);
    }

    /** runc's RAMInBytes: a number with an optional binary suffix (k, m, g, t, p; "b"/"ib" allowed), or -1. */
    static Long bytes(String flag, String value) {
        if (value == null) {
            return null;
        }
        if (value.equals("-1")) {
            return -1L;
        }
        Matcher m = SIZE.matcher(value.strip());
        if (!m.matches()) {
            throw new LaunchException(flag + ": \"" + value + "\" is not a size (bytes, or a number with k, m, g, t or p; "
                    + "-1 for no limit)");
        }
        int shift = m.group(2) == null ? 0 : 10 * ("kmgtp".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1);
        double size = Double.parseDouble(m.group(1)) * Math.pow(2, shift);
        if (size >= Long.MAX_VALUE) {
            throw new LaunchException(flag + ": \"" + value + "\" is too large");
        }
        return (long) size;
    }

    /** --resources FILE or -: the OCI linux.resources object, parsed as config.json's, a bad field named in one line. */
    private static LinuxResources readResources(String source) {
        String shown = "--resources " + source;
        byte[] text;
        try (InputStream in = source.equals("-") ? System.in : Files.newInputStream(Path.of(source))) {
            text = in.readAllBytes();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LaunchException(shown + ": no such file");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new LaunchException(shown + ": " + e.getMessage());
        }
        LinuxResources parsed;
        try { // inside a config on the same first line: the parser names fields linux.resources.* and keeps lines
            byte[] wrapped = ("{\"linux\": {\"resources\": " + new String(text, StandardCharsets.UTF_8) + "\n}}")
                    .getBytes(StandardCharsets.UTF_8);
            var spec = SpecParser.parse(new ByteArrayInputStream(wrapped), shown);
            parsed = spec.linux() == null ? null : spec.linux().resources();
        } catch (SpecParseException e) {
            throw new LaunchException(e.getMessage().lines().findFirst().orElse(shown + ": not valid JSON"));
        } catch (IOException e) {
            throw new LaunchException(shown + ": " + e.getMessage());
        }
        if (parsed == null) {
            throw new LaunchException(shown + ": expected a linux.resources object");
        }
        return parsed;
    }
}
