package dev.bulwark.launcher.seccomp;

import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.Spec;
import dev.bulwark.nativ.Arch;
import java.util.Set;
import java.util.TreeSet;

/**
 * The seccomp policy a launch of a config installs, decided in one place for the launch (the hardened
 * {@code plan.Profile} writes it into a config without {@code linux.seccomp}, which {@code setup.SeccompSteps}
 * then compiles) and for {@code bulwark seccomp show|compile} (with or without {@code --config}).
 */
public final class EffectiveSeccompPolicy {
    private EffectiveSeccompPolicy() {
    }

    /**
     * The config's {@code linux.seccomp} as written; without one, {@link DefaultSeccompProfile} shaped
     * by {@link #capabilitiesConsidered} of the config plus {@code extraCapabilities}.
     */
    public static LinuxSeccomp of(Spec spec, Set<String> extraCapabilities, Arch arch) {
        if (spec.linux() != null && spec.linux().seccomp() != null) {
            return spec.linux().seccomp();
        }
        Set<String> capabilities = new TreeSet<>(extraCapabilities);
        if (spec.process() != null) {
            capabilities.addAll(capabilitiesConsidered(spec.process().capabilities()));
        }
        return forCapabilities(capabilities, arch);
    }

    /** {@link DefaultSeccompProfile} for a workload that may hold {@code capabilities} (no config to read them from). */
    public static LinuxSeccomp forCapabilities(Set<String> capabilities, Arch arch) {
        return DefaultSeccompProfile.forContainer(capabilities, arch);
    }

    /**
     * Every capability named in any set, not only the bounding set: ambient capabilities, and
     * inheritable ones for uid 0 or a file with inheritable bits, survive execve even outside the
     * bounding set (capabilities(7)), so the workload may hold any of them.
     */
    public static Set<String> capabilitiesConsidered(LinuxCapabilities caps) {
        Set<String> granted = new TreeSet<>();
        if (caps != null) {
            granted.addAll(caps.bounding());
            granted.addAll(caps.effective());
            granted.addAll(caps.permitted());
            granted.addAll(caps.inheritable());
            granted.addAll(caps.ambient());
        }
        return granted;
    }
}
