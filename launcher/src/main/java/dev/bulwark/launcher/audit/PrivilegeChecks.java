package dev.bulwark.launcher.audit;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.LinuxDeviceCgroup;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.KnownNames;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Items about what the workload may do as root: capabilities (5.4, 5.5), no_new_privs (5.26), user namespace (5.31). */
final class PrivilegeChecks {
    private PrivilegeChecks() {
    }

    /**
     * Capabilities that break the container's isolation or the host's integrity on their own (mounts, modules, raw
     * devices, tracing, the network stack, kernel memory, MAC policy, bpf), whatever else holds.
     */
    static final Set<String> HIGH_RISK = Set.of("CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE",
            "CAP_DAC_READ_SEARCH", "CAP_NET_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_TIME", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE",
            "CAP_BPF", "CAP_PERFMON", "CAP_SYSLOG", "CAP_LINUX_IMMUTABLE", "CAP_AUDIT_CONTROL");

    /** What the process holds or can gain: bounding (gained by execve of a setuid-root file), effective, permitted, ambient. */
    static Set<String> held(Process process) {
        Set<String> held = new TreeSet<>();
        LinuxCapabilities caps = process == null ? null : process.capabilities();
        if (caps != null) {
            held.addAll(caps.bounding());
            held.addAll(caps.effective());
            held.addAll(caps.permitted());
            held.addAll(caps.ambient());
        }
        return held;
    }

    static Finding capabilities(Spec spec) {
        Set<String> held = held(spec.process());
        Finding item = BenchmarkItems.CAPABILITIES;
        if (held.isEmpty()) {
            return item.with(Status.PASS, "no capabilities");
        }
        Set<String> risky = new TreeSet<>(held);
        risky.retainAll(HIGH_RISK);
        if (!risky.isEmpty()) {
            return item.with(Status.FAIL, "holds " + String.join(", ", risky) + userNamespaceNote(spec)
                    + (held.size() > risky.size() ? " among " + held.size() + " capabilities" : ""));
        }
        return item.with(Status.WARN, "holds " + String.join(", ", held) + userNamespaceNote(spec)
                + (held.contains("CAP_NET_RAW") ? "; CAP_NET_RAW allows spoofed packets" : ""));
    }

    private static String userNamespaceNote(Spec spec) {
        return hasUserNamespace(spec.linux()) ? " (in its user namespace)" : "";
    }

    static Finding privileged(Spec spec) {
        Finding item = BenchmarkItems.PRIVILEGED;
        Set<String> held = held(spec.process());
        if (held.containsAll(KnownNames.CAPABILITIES)) {
            return item.with(Status.FAIL, "holds every capability, as --privileged does");
        }
        if (allowsEveryDevice(spec.linux())) {
            return item.with(Status.FAIL, "linux.resources.devices allows every device (rwm), as --privileged does");
        }
        if (held.contains("CAP_SYS_ADMIN") && spec.linux().seccomp() == null) {
            return item.with(Status.FAIL, "CAP_SYS_ADMIN without a seccomp filter: privileged in all but name");
        }
        return item.with(Status.PASS, "neither every capability nor every device"
                + (spec.linux().seccomp() == null ? " (but no seccomp filter: 5.22)" : ", and a seccomp filter"));
    }

    /** The device cgroup's last rule over all devices allows them (rules apply in order, the last match wins). */
    static boolean allowsEveryDevice(Linux linux) {
        if (linux.resources() == null) {
            return false;
        }
        boolean allowed = false;
        for (LinuxDeviceCgroup rule : linux.resources().devices()) {
            boolean everyDevice = (rule.type() == null || rule.type().equals("a")) && rule.major() == null
                    && rule.minor() == null;
            if (everyDevice) {
                allowed = rule.allow();
            }
        }
        return allowed;
    }

    static Finding noNewPrivileges(Spec spec) {
        Finding item = BenchmarkItems.NO_NEW_PRIVS;
        Boolean value = spec.process() == null ? null : spec.process().noNewPrivileges();
        if (Boolean.TRUE.equals(value)) {
            return item.with(Status.PASS, "noNewPrivileges is true");
        }
        return item.with(Status.FAIL, value == null ? "noNewPrivileges is absent (off, as the runtime spec says)"
                : "noNewPrivileges is false");
    }

    static boolean hasUserNamespace(Linux linux) {
        return linux.hasNamespace("user");
    }

    static Finding userNamespace(Spec spec) {
        Finding item = BenchmarkItems.USER_NAMESPACE;
        Linux linux = spec.linux();
        if (!hasUserNamespace(linux)) {
            return item.with(Status.FAIL, "no user namespace: container root is host root");
        }
        String joined = joinedPath(linux, "user");
        if (joined != null) {
            return NamespaceChecks.isHostNamespace(joined)
                    ? item.with(Status.FAIL, "joins the host's user namespace (" + joined + ")")
                    : item.with(Status.PASS, "joins the user namespace " + joined);
        }
        List<LinuxIdMapping> rootMaps = linux.uidMappings().stream()
                .filter(map -> map.containerId() <= 0 && 0 < map.containerId() + map.size() && map.hostId() == 0)
                .toList();
        if (!rootMaps.isEmpty()) {
            return item.with(Status.FAIL, "a user namespace, but uidMappings maps container root onto host root");
        }
        if (linux.uidMappings().isEmpty()) {
            return item.with(Status.PASS, "a user namespace; the launcher maps it (Bulwark: onto an unprivileged range)");
        }
        LinuxIdMapping first = linux.uidMappings().get(0);
        return item.with(Status.PASS, "a user namespace: container uid " + first.containerId() + " is host uid "
                + first.hostId() + " (" + first.size() + " ids)");
    }

    static String joinedPath(Linux linux, String type) {
        return linux.namespaces().stream()
                .filter(ns -> type.equals(ns.type()) && ns.path() != null && !ns.path().isEmpty())
                .map(ns -> ns.path()).findFirst().orElse(null);
    }
}
