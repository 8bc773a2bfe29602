package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxPids;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.util.Locale;

/** {@code --memory}, {@code --pids} and {@code --cpus}: explicit limits for the built-in default. */
public final class ResourceFlags {
    private static final long CPU_PERIOD_MICROS = 100_000;

    private ResourceFlags() {
    }

    public static Spec apply(Spec spec, String memory, Long pids, Double cpus) {
        if (memory == null && pids == null && cpus == null) {
            return spec;
        }
        LinuxResources resources = spec.linux().resources();
        if (memory != null) {
            long bytes = parseSize(memory);
            resources = resources.withMemory(new LinuxMemory(bytes, null, bytes, null, null, null, null, null, null)); // swap = limit: no swap
        }
        if (pids != null) {
            if (pids == 0) { // in a config, 0 is "no limit set" (runc 1.1, Podman); on the flag it would drop the default
                throw new LaunchException("--pids: must be positive, or -1 for no limit, got 0");
            }
            resources = resources.withPids(new LinuxPids(pids));
        }
        if (cpus != null) {
            if (!(cpus > 0)) {
                throw new LaunchException("--cpus: must be positive, got " + cpus);
            }
            resources = resources.withCpu(new LinuxCpu(null, Math.max(1000, Math.round(cpus * CPU_PERIOD_MICROS)), null,
                    CPU_PERIOD_MICROS, null, null, null, null, null));
        }
        return spec.withLinux(spec.linux().withResources(resources));
    }

    /** "64m" to 67108864: a number with an optional k, m or g suffix (powers of 1024). */
    public static long parseSize(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
            unit = switch (t.charAt(t.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                default -> 1L << 30;
            };
            t = t.substring(0, t.length() - 1);
        }
        try {
            long value = Long.parseLong(t);
            if (value <= 0) {
                throw new LaunchException("--memory: must be positive, got \"" + text + "\"");
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new LaunchException("--memory: expected a size like 64m or 1g, got \"" + text + "\"");
        }
    }
}
