package dev.bulwark.launcher.audit;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.LinuxSyscall;
import dev.bulwark.config.model.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Items about what confines the workload beyond namespaces: seccomp (5.22), Landlock (B1), masked and read-only paths (B2, B3). */
final class ConfinementChecks {
    private ConfinementChecks() {
    }

    static final String LANDLOCK_ANNOTATION = "dev.bulwark.landlock";
    private static final Set<String> ALLOWING = Set.of("SCMP_ACT_ALLOW", "SCMP_ACT_LOG");

    /**
     * @param addedByProfile the filter is the built-in default profile that the hardened profile adds to a config
     *                       without one
     */
    static Finding seccomp(Spec spec, boolean addedByProfile) {
        LinuxSeccomp seccomp = spec.linux().seccomp();
        Finding item = BenchmarkItems.SECCOMP;
        if (seccomp == null) {
            return item.with(Status.FAIL, "no linux.seccomp: every system call is allowed");
        }
        if (ALLOWING.contains(seccomp.defaultAction())) {
            long denying = seccomp.syscalls().stream().filter(rule -> !ALLOWING.contains(rule.action()))
                    .mapToLong(rule -> rule.names().size()).sum();
            if (denying == 0) {
                return item.with(Status.FAIL, "defaultAction " + seccomp.defaultAction() + " and no rule denies: unconfined");
            }
            return item.with(Status.WARN, "a deny-list (defaultAction " + seccomp.defaultAction() + ", " + denying
                    + " system calls denied): every call it does not name, including new ones, is allowed");
        }
        long allowed = seccomp.syscalls().stream().filter(rule -> ALLOWING.contains(rule.action()))
                .map(LinuxSyscall::names).mapToLong(List::size).sum();
        return item.with(Status.PASS, (addedByProfile ? "Bulwark's default profile (the config has none; the hardened "
                + "profile adds it): " : "") + "an allow-list, defaultAction " + seccomp.defaultAction() + ", "
                + allowed + " system call names allowed by its rules");
    }

    static Finding landlock(Spec spec) {
        Finding item = BenchmarkItems.LANDLOCK;
        String value = spec.annotations().get(LANDLOCK_ANNOTATION);
        if (value != null && value.strip().equals("off")) {
            return item.with(Status.WARN, "\"" + LANDLOCK_ANNOTATION + "\" is \"off\"");
        }
        if (value != null) {
            return item.with(Status.PASS, "the config's rules: " + value);
        }
        if ("hardened".equals(spec.annotations().get(HardenedDefaults.PROFILE_ANNOTATION))) {
            return item.with(Status.PASS, "the default rules (hardened profile): write only in /tmp, /dev/shm, "
                    + "writable mounts");
        }
        return item.with(Status.WARN, "no rules: the oci profile applies Landlock only when the annotation asks for it");
    }

    static Finding maskedPaths(Spec spec) {
        return defaultsPresent(spec.linux().maskedPaths(), HardenedDefaults.MASKED_PATHS, BenchmarkItems.MASKED_PATHS,
                "masked");
    }

    static Finding readonlyPaths(Spec spec) {
        return defaultsPresent(spec.linux().readonlyPaths(), HardenedDefaults.READONLY_PATHS,
                BenchmarkItems.READONLY_PATHS, "read-only");
    }

    private static Finding defaultsPresent(List<String> listed, List<String> defaults, Finding item, String what) {
        if (listed.isEmpty()) {
            return item.with(Status.FAIL, "none is " + what);
        }
        List<String> missing = new ArrayList<>(defaults);
        missing.removeAll(listed);
        if (missing.isEmpty()) {
            return item.with(Status.PASS, "all " + defaults.size() + " of Bulwark's defaults are " + what);
        }
        return item.with(Status.WARN, "not " + what + ": " + String.join(", ", missing));
    }
}
