package dev.bulwark.launcher.plan;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Root;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.KnownNames;
import dev.bulwark.launcher.seccomp.EffectiveSeccompPolicy;
import dev.bulwark.nativ.Arch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the launcher adds to a config before it runs. {@link #OCI} adds nothing: the config means what
 * the runtime spec says, as with runc and crun (absent {@code noNewPrivileges} is off, absent
 * {@code root.readonly} is writable, no {@code linux.seccomp} is no filter, no {@code user} namespace
 * is none). {@link #HARDENED} lifts any config to Bulwark's defaults: a user namespace (container root
 * then maps to the unprivileged host range; a mapping onto host root needs --allow-host-root), no_new_privs
 * unless {@code noNewPrivileges} is {@code false}, the default seccomp profile when the config has none, a
 * bounding set cut to the capabilities the process asks for, a read-only root unless {@code root.readonly}
 * is {@code false}, and Landlock's default rules unless the config sets them.
 * A config carrying {@code dev.bulwark.profile: hardened} (what {@code bulwark spec} writes) always
 * gets the hardened profile: it was written for it.
 */
public enum Profile {
    OCI,
    HARDENED;

    /** The name used by {@code --profile}, {@code BULWARK_PROFILE} and the system file. */
    public String flagName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The config this profile runs. */
    public Spec apply(Spec spec) {
        return effectiveFor(spec) == OCI ? spec : hardened(spec);
    }

    /** This profile, or {@link #HARDENED} for a config written for it ({@code dev.bulwark.profile: hardened}). */
    public Profile effectiveFor(Spec spec) {
        return "hardened".equals(spec.annotations().get(HardenedDefaults.PROFILE_ANNOTATION)) ? HARDENED : this;
    }

    private static Spec hardened(Spec spec) {
        // The runtime spec makes linux optional; the launch fills in Bulwark's Linux defaults then (LaunchPlan),
        // here with the user namespace the profile adds. Its resources are the defaults, which either mode treats alike.
        Spec lifted = spec.linux() != null ? spec : spec.withLinux(HardenedDefaults.linuxWithoutUserNamespace(false));
        if (!"hardened".equals(lifted.annotations().get(HardenedDefaults.PROFILE_ANNOTATION))) {
            // Says so in the state, and turns on Landlock's default rules (LandlockSteps)
            Map<String, String> annotations = new LinkedHashMap<>(lifted.annotations());
            annotations.put(HardenedDefaults.PROFILE_ANNOTATION, "hardened");
            lifted = lifted.withAnnotations(annotations);
        }
        Linux linux = lifted.linux();
        if (!linux.hasNamespace("user")) {
            List<LinuxNamespace> namespaces = new ArrayList<>(linux.namespaces());
            namespaces.add(0, new LinuxNamespace("user"));
            linux = linux.withNamespaces(namespaces);
        }
        if (lifted.process() == null) {
            return lifted.withLinux(linux); // the launch refuses a config without a process, naming it
        }
        if (linux.seccomp() == null) {
            linux = linux.withSeccomp(EffectiveSeccompPolicy.of(lifted, Set.of(), Arch.requireHost())); // the default profile
        }
        lifted = lifted.withLinux(linux);
        Boolean noNewPrivileges = lifted.process().noNewPrivileges();
        lifted = lifted.withProcess(lifted.process().withNoNewPrivileges(noNewPrivileges == null || noNewPrivileges)
                .withCapabilities(boundedToRequested(lifted.process().capabilities())));
        Root root = lifted.root();
        if (root != null && root.readonly() == null) {
            lifted = lifted.withRoot(new Root(root.path(), true));
        }
        return lifted;
    }

    /**
     * The bounding set keeps only what some other set asks for: nothing unasked can be gained by execve. A set
     * holding a name that is no capability stays as written, so that validation names it at its own index.
     */
    private static LinuxCapabilities boundedToRequested(LinuxCapabilities caps) {
        if (caps == null) {
            return LinuxCapabilities.none();
        }
        if (!KnownNames.CAPABILITIES.containsAll(caps.bounding())) {
            return caps;
        }
        Set<String> requested = new TreeSet<>(caps.effective());
        requested.addAll(caps.permitted());
        requested.addAll(caps.inheritable());
        requested.addAll(caps.ambient());
        List<String> bounding = caps.bounding().stream().filter(requested::contains).toList();
        return new LinuxCapabilities(bounding, caps.effective(), caps.inheritable(), caps.permitted(), caps.ambient());
    }

    /** Parses a profile name; {@code where} names the flag, variable or file in the one-line error. */
    public static Profile parse(String name, String where) {
        return switch (name.strip()) {
            case "oci" -> OCI;
            case "hardened" -> HARDENED;
            default -> throw new dev.bulwark.launcher.LaunchException(where + ": unknown profile \"" + name
                    + "\" (expected hardened or oci)");
        };
    }
}
