package dev.bulwark.launcher.audit;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.Profile;

import java.util.List;

/**
 * Checks a config against the CIS Docker Benchmark's container runtime items that an OCI config decides, and
 * Bulwark's own (see {@link BenchmarkItems}). The config is judged as Bulwark would run it: through the selected
 * {@link Profile} (the hardened one adds a user namespace, no_new_privs, the default seccomp profile, a read-only
 * root and Landlock's default rules). Pure policy over the config model: nothing is read from the host.
 */
public final class ConfigAudit {
    private ConfigAudit() {
    }

    public static final String BENCHMARK = BenchmarkItems.BENCHMARK;

    /** The findings for {@code config} run under {@code profile}, in item order. */
    public static List<Finding> audit(Spec config, Profile profile) {
        Spec spec = profile.apply(config);
        if (spec.linux() == null) {
            // The runtime spec makes linux optional; the launch then fills in Bulwark's Linux defaults.
            spec = spec.withLinux(HardenedDefaults.linuxWithoutUserNamespace(false));
        }
        boolean seccompAdded = config.linux() == null || config.linux().seccomp() == null;
        return List.of(
                PrivilegeChecks.capabilities(spec),
                PrivilegeChecks.privileged(spec),
                MountChecks.sensitiveMounts(spec),
                NamespaceChecks.network(spec),
                LimitChecks.memory(spec),
                LimitChecks.cpu(spec),
                MountChecks.readOnlyRoot(spec),
                NamespaceChecks.pid(spec),
                NamespaceChecks.ipc(spec),
                MountChecks.devices(spec),
                MountChecks.propagation(spec),
                NamespaceChecks.uts(spec),
                ConfinementChecks.seccomp(spec, seccompAdded),
                PrivilegeChecks.noNewPrivileges(spec),
                LimitChecks.pids(spec),
                PrivilegeChecks.userNamespace(spec),
                MountChecks.engineSockets(spec),
                ConfinementChecks.landlock(spec),
                ConfinementChecks.maskedPaths(spec),
                ConfinementChecks.readonlyPaths(spec));
    }

    /** Whether any finding fails: the audit's exit status is then 1. */
    public static boolean anyFails(List<Finding> findings) {
        return findings.stream().anyMatch(finding -> finding.status() == Status.FAIL);
    }
}
