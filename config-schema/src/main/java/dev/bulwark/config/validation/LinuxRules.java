package dev.bulwark.config.validation;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.LinuxPersonality;
import dev.bulwark.config.model.LinuxTimeOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Rules for {@code linux} other than resources and seccomp. */
final class LinuxRules {
    private LinuxRules() {}

    private static final Pattern SYSCTL_KEY = Pattern.compile("[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*");
    /** IPC-namespaced sysctls, as runc and the kernel's ipc_sysctls define them. */
    private static final Set<String> IPC_SYSCTLS = Set.of(
            "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
            "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced");
    private static final Set<String> DEVICE_TYPES = Set.of("c", "b", "u", "p");

    static void check(Linux linux, Problems problems) {
        checkNamespaces(linux.namespaces(), problems);
        checkUserNamespace(linux, problems);
        IdMappingRules.check("linux.uidMappings", linux.uidMappings(), problems);
        IdMappingRules.check("linux.gidMappings", linux.gidMappings(), problems);
        checkSysctls(linux, problems);
        if (linux.resources() != null) {
            ResourceRules.check(linux.resources(), problems);
        }
        if (linux.cgroupsPath() != null && Problems.hasDotDot(linux.cgroupsPath().replace(':', '/'))) {
            problems.add("linux.cgroupsPath", "must not contain \"..\"");
        }
        checkDevices(linux.devices(), problems);
        if (linux.seccomp() != null) {
            SeccompRules.check(linux.seccomp(), problems);
        }
        String propagation = linux.rootfsPropagation();
        if (propagation != null && !propagation.isEmpty() && !KnownNames.ROOTFS_PROPAGATIONS.contains(propagation)) {
            problems.add("linux.rootfsPropagation", "unknown propagation \"" + propagation + "\"");
        }
        checkPaths("linux.maskedPaths", linux.maskedPaths(), problems);
        checkPaths("linux.readonlyPaths", linux.readonlyPaths(), problems);
        checkPersonality(linux.personality(), problems);
        checkTimeOffsets(linux, problems);
        if (linux.intelRdt() != null) {
            String clos = linux.intelRdt().closID();
            // closID names a directory under /sys/fs/resctrl.
            if (clos != null && (clos.contains("/") || clos.equals(".") || clos.equals(".."))) {
                problems.add("linux.intelRdt.closID", "must be a plain directory name");
            }
        }
    }

    private static void checkNamespaces(List<LinuxNamespace> namespaces, Problems problems) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < namespaces.size(); i++) {
            LinuxNamespace ns = namespaces.get(i);
            String at = Problems.at("linux.namespaces", i);
            if (ns.type() == null) {
                problems.add(at + ".type", "required");
            } else if (!KnownNames.NAMESPACES.contains(ns.type())) {
                problems.add(at + ".type", "unknown namespace \"" + ns.type() + "\"");
            } else if (!seen.add(ns.type())) {
                problems.add(at + ".type", "duplicate namespace \"" + ns.type() + "\"");
            }
            if (ns.path() != null && !ns.path().isEmpty()) {
                problems.absolutePath(at + ".path", ns.path());
            }
        }
    }

    private static void checkUserNamespace(Linux linux, Problems problems) {
        LinuxNamespace user = linux.namespaces().stream()
                .filter(ns -> "user".equals(ns.type())).findFirst().orElse(null);
        if (user == null) {
            if (!linux.uidMappings().isEmpty()) {
                problems.add("linux.uidMappings", "requires a user namespace");
            }
            if (!linux.gidMappings().isEmpty()) {
                problems.add("linux.gidMappings", "requires a user namespace");
            }
        }
        // A new user namespace without maps (`crun spec --rootless`) is accepted: the launcher maps the caller
        // (rootless) or its unprivileged host range (root), as crun maps the caller.
    }

    private static void checkSysctls(Linux linux, Problems problems) {
        for (Map.Entry<String, String> entry : linux.sysctl().entrySet()) {
            String path = Problems.key("linux.sysctl", entry.getKey());
            if (!SYSCTL_KEY.matcher(entry.getKey()).matches()) {
                problems.add(path, "not a valid sysctl name");
                continue;
            }
            String key = entry.getKey().replace('/', '.');
            String namespace = namespaceOf(key);
            if (namespace == null) {
                // Writing a global sysctl from inside the container would change the host.
                problems.add(path, "not namespaced; would change the host");
            } else if (!linux.hasNamespace(namespace)) {
                problems.add(path, "requires " + article(namespace) + " " + namespace + " namespace");
            }
        }
    }

    /** The namespace that isolates this sysctl, or null for a host-global one. */
    static String namespaceOf(String dottedKey) {
        if (dottedKey.startsWith("net.")) {
            return "network";
        }
        if (IPC_SYSCTLS.contains(dottedKey) || dottedKey.startsWith("fs.mqueue.")) {
            return "ipc";
        }
        if (dottedKey.equals("kernel.hostname") || dottedKey.equals("kernel.domainname")) {
            return "uts";
        }
        return null;
    }

    private static String article(String word) {
        return "aeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
    }

    private static void checkDevices(List<LinuxDevice> devices, Problems problems) {
        for (int i = 0; i < devices.size(); i++) {
            LinuxDevice dev = devices.get(i);
            String at = Problems.at("linux.devices", i);
            problems.absolutePath(at + ".path", dev.path());
            if (dev.type() == null) {
                problems.add(at + ".type", "required");
            } else if (!DEVICE_TYPES.contains(dev.type())) {
                problems.add(at + ".type", "unknown device type \"" + dev.type() + "\" (expected c, b, u or p)");
            } else if (!dev.type().equals("p")) {
                if (dev.major() == null) {
                    problems.add(at + ".major", "required for type \"" + dev.type() + "\"");
                }
                if (dev.minor() == null) {
                    problems.add(at + ".minor", "required for type \"" + dev.type() + "\"");
                }
            }
            problems.nonNegative(at + ".major", dev.major());
            problems.nonNegative(at + ".minor", dev.minor());
            if (dev.fileMode() != null && (dev.fileMode() < 0 || dev.fileMode() > 07777)) {
                problems.add(at + ".fileMode", "must be between 0 and 07777 (4095)");
            }
            problems.uint32(at + ".uid", dev.uid());
            problems.uint32(at + ".gid", dev.gid());
        }
    }

    private static void checkPaths(String path, List<String> paths, Problems problems) {
        for (int i = 0; i < paths.size(); i++) {
            problems.absolutePath(Problems.at(path, i), paths.get(i));
        }
    }

    private static void checkPersonality(LinuxPersonality personality, Problems problems) {
        if (personality != null && personality.domain() == null) {
            problems.add("linux.personality.domain", "required");
        } else if (personality != null && !KnownNames.PERSONALITY_DOMAINS.contains(personality.domain())) {
            problems.add("linux.personality.domain", "unknown domain \"" + personality.domain() + "\"");
        }
    }

    private static void checkTimeOffsets(Linux linux, Problems problems) {
        if (linux.timeOffsets().isEmpty()) {
            return;
        }
        if (!linux.hasNamespace("time")) {
            problems.add("linux.timeOffsets", "requires a time namespace");
        }
        for (Map.Entry<String, LinuxTimeOffset> entry : linux.timeOffsets().entrySet()) {
            String path = Problems.key("linux.timeOffsets", entry.getKey());
            if (!KnownNames.TIME_OFFSET_CLOCKS.contains(entry.getKey())) {
                problems.add(path, "unknown clock (expected monotonic or boottime)");
            }
            problems.inRange(path + ".nanosecs", entry.getValue().nanosecs(), 0, 999_999_999);
        }
    }
}
