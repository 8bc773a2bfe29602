package dev.bulwark.config.defaults;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.LinuxDeviceCgroup;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.LinuxPids;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Root;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.model.User;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The spec {@code bulwark spec} prints: the shape of {@code runc spec}, locked down.
 *
 * <p>Differences from runc's default, each deliberate:
 * <ul>
 *   <li>no capabilities at all (runc keeps AUDIT_WRITE, KILL, NET_BIND_SERVICE);</li>
 *   <li>always a user namespace, so container root is never host root: rootless maps root to the
 *       caller, root mode to an unprivileged range ({@link DefaultsOptions#DEFAULT_HOST_ID_START});</li>
 *   <li>every namespace, including cgroup;</li>
 *   <li>pids and memory limits so a fork bomb or leak stays inside the container;</li>
 *   <li>lower per-user kernel limits (inotify, fanotify, namespaces) in the container's user namespace
 *       ({@link #USERNS_LIMITS_ANNOTATION}), since what it uses is also charged to the launching user;</li>
 *   <li>/proc mounted nosuid,noexec,nodev; a few more masked paths (/proc/interrupts, powercap);</li>
 *   <li>terminal off, so the default works non-interactively.</li>
 * </ul>
 * There is no {@code linux.seccomp}: the launcher applies its built-in profile when it is absent.
 * {@code rootfsPropagation} is omitted, as runc does, leaving the choice to the launcher.
 * In rootless mode the device cgroup rule is left out (an unprivileged user cannot attach the
 * device filter, and cannot create device nodes in a user namespace anyway).
 */
public final class HardenedDefaults {
    private HardenedDefaults() {}

    public static final String OCI_VERSION = "1.2.0";
    public static final String HOSTNAME = "bulwark";
    public static final long PIDS_LIMIT = 1024;
    public static final long MEMORY_LIMIT_BYTES = 512L * 1024 * 1024;
    public static final long NOFILE_LIMIT = 1024;

    /**
     * Annotation listing the container user namespace's own {@code /proc/sys/user} limits, as
     * {@code max_inotify_instances=32,...}; {@code off} sets none. The launcher applies
     * {@link #USERNS_LIMITS} to a config without it.
     */
    public static final String USERNS_LIMITS_ANNOTATION = "dev.bulwark.userns.limits";

    /**
     * {@code hardened}: the config was written for Bulwark's hardened profile (what {@code bulwark spec} and the
     * built-in default are), so the launcher applies that profile whatever profile is selected. A config
     * without it gets exactly what the runtime spec says (absent no_new_privs is off, no seccomp filter, ...).
     */
    public static final String PROFILE_ANNOTATION = "dev.bulwark.profile";

    /**
     * The container's share of per-user kernel objects. Use in the container's user namespace is
     * charged to its owner (the launching user) as well, so without these one container could take
     * all of, for example, the 128 inotify instances the host's user has. Namespace counts stay small
     * but non-zero: the default seccomp profile forbids creating namespaces anyway, and a profile
     * that allows nested containers still gets a few of each.
     */
    public static final Map<String, Long> USERNS_LIMITS = orderedMap(
            "max_inotify_instances", 32L,
            "max_inotify_watches", 8192L,
            "max_fanotify_groups", 16L,
            "max_fanotify_marks", 8192L,
            "max_user_namespaces", 16L,
            "max_pid_namespaces", 16L,
            "max_net_namespaces", 16L,
            "max_mnt_namespaces", 16L,
            "max_ipc_namespaces", 16L,
            "max_uts_namespaces", 16L,
            "max_cgroup_namespaces", 16L,
            "max_time_namespaces", 16L);

    public static final List<String> NAMESPACES = List.of(
            "user", "pid", "mount", "uts", "ipc", "network", "cgroup");

    public static final List<String> MASKED_PATHS = List.of(
            "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
            "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");

    public static final List<String> READONLY_PATHS = List.of(
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    public static Spec spec(DefaultsOptions options) {
        return new Spec(OCI_VERSION, process(), new Root("rootfs", true), HOSTNAME, null,
                mounts(options.rootless()), null, annotations(),
                linux(options));
    }

    private static Map<String, String> annotations() {
        Map<String, String> annotations = new java.util.LinkedHashMap<>();
        annotations.put(USERNS_LIMITS_ANNOTATION, formatUsernsLimits(USERNS_LIMITS));
        annotations.put(PROFILE_ANNOTATION, "hardened");
        return annotations;
    }

    /** "max_inotify_instances=32,max_inotify_watches=8192,...": the annotation's form. */
    public static String formatUsernsLimits(Map<String, Long> limits) {
        StringBuilder text = new StringBuilder();
        limits.forEach((name, value) -> text.append(text.length() == 0 ? "" : ",").append(name).append('=').append(value));
        return text.toString();
    }

    private static Map<String, Long> orderedMap(Object... pairs) {
        Map<String, Long> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], (Long) pairs[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }

    private static Process process() {
        return new Process(
                false, null,
                new User(0, 0, null, null, null),
                List.of("sh"), null,
                List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"),
                "/",
                LinuxCapabilities.none(),
                List.of(new PosixRlimit("RLIMIT_NOFILE", NOFILE_LIMIT, NOFILE_LIMIT)),
                true, null, null, null, null, null);
    }

    static List<Mount> mounts(boolean rootless) {
        List<Mount> mounts = new ArrayList<>();
        mounts.add(new Mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        mounts.add(new Mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
        List<String> pts = new ArrayList<>(List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
        if (!rootless) {
            pts.add("gid=5"); // the tty group; unmapped (and so invalid) in a one-id rootless map
        }
        mounts.add(new Mount("/dev/pts", "devpts", "devpts", pts));
        mounts.add(new Mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
        mounts.add(new Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
        if (rootless) {
            // A fresh sysfs needs privilege over the network namespace's owner; bind the host's, read-only.
            mounts.add(new Mount("/sys", "none", "/sys", List.of("rbind", "nosuid", "noexec", "nodev", "ro")));
        } else {
            mounts.add(new Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        }
        mounts.add(new Mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
        return List.copyOf(mounts);
    }

    /** The default limits: memory and pids, plus (as root) a deny-all device rule. */
    public static LinuxResources resources(boolean rootless) {
        List<LinuxDeviceCgroup> devices = rootless
                ? List.of()
                : List.of(new LinuxDeviceCgroup(false, null, null, null, "rwm")); // deny all devices
        return new LinuxResources(devices, LinuxMemory.withLimit(MEMORY_LIMIT_BYTES),
                null, new LinuxPids(PIDS_LIMIT), null, null, null, null, null);
    }

    /**
     * The linux section a config without one runs with (the runtime-spec makes it optional): the
     * namespaces, masked and read-only paths and default limits of {@link #spec}, but neither id mappings
     * nor the user namespace they belong to: the launcher adds both, as for any config without them.
     */
    public static Linux linuxWithoutUserNamespace(boolean rootless) {
        return new Linux(null, null, null, resources(rootless), null,
                NAMESPACES.stream().filter(type -> !type.equals("user")).map(LinuxNamespace::new).toList(),
                null, null, null, MASKED_PATHS, READONLY_PATHS, null, null, null, null);
    }

    private static Linux linux(DefaultsOptions options) {
        List<LinuxIdMapping> uids = List.of(new LinuxIdMapping(0, options.hostUid(), options.idRangeSize()));
        List<LinuxIdMapping> gids = List.of(new LinuxIdMapping(0, options.hostGid(), options.idRangeSize()));
        return new Linux(uids, gids, null, resources(options.rootless()), null,
                NAMESPACES.stream().map(LinuxNamespace::new).toList(),
                null, null, null, MASKED_PATHS, READONLY_PATHS, null, null, null, null);
    }
}
