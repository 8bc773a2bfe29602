package dev.bulwark.launcher.audit;

import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.config.model.LinuxDeviceCgroup;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Items about the filesystem: sensitive host directories (5.6), a read-only root (5.13), host devices (5.18),
 * shared propagation (5.20) and container engine sockets (5.32).
 */
final class MountChecks {
    private MountChecks() {
    }

    /** CIS 5.6's list: a bind of one of these is sensitive. */
    private static final Set<String> SENSITIVE = Set.of("/", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sys", "/usr");
    /** Beneath these, every host path is sensitive (configuration, kernel interfaces, boot files, devices). */
    private static final List<String> SENSITIVE_TREES = List.of("/boot", "/etc", "/proc", "/sys", "/dev");
    /** The device nodes every container gets (runtime spec's default devices); binding the host's is harmless. */
    private static final Set<String> DEFAULT_DEVICES = Set.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random",
            "/dev/urandom", "/dev/tty", "/dev/console", "/dev/ptmx");
    /** Major:minor of those character devices, plus /dev/pts (136:*), for device cgroup allow rules. */
    private static final Set<String> DEFAULT_DEVICE_NUMBERS = Set.of("1:3", "1:5", "1:7", "1:8", "1:9", "5:0", "5:1",
            "5:2", "136:*");
    /** File names of engine API sockets, and directories that hold them. */
    private static final List<String> ENGINE_SOCKETS = List.of("docker.sock", "containerd.sock", "podman.sock",
            "crio.sock", "dockershim.sock", "buildkitd.sock");
    private static final List<String> ENGINE_SOCKET_DIRECTORIES = List.of("/run/docker", "/var/run/docker",
            "/run/containerd", "/var/run/containerd", "/run/podman", "/var/run/podman", "/run/crio", "/var/run/crio");

    static boolean isBind(Mount mount) {
        return "bind".equals(mount.type()) || mount.options().contains("bind") || mount.options().contains("rbind");
    }

    static boolean isReadOnly(Mount mount) {
        return mount.options().contains("ro");
    }

    private static String normalized(String path) {
        return path == null || !path.startsWith("/") ? path : Path.of(path).normalize().toString();
    }

    static Finding sensitiveMounts(Spec spec) {
        List<String> writable = new ArrayList<>();
        List<String> readOnly = new ArrayList<>();
        for (int i = 0; i < spec.mounts().size(); i++) {
            Mount mount = spec.mounts().get(i);
            String source = normalized(mount.source());
            if (!isBind(mount) || source == null || !isSensitive(source) || isHarmless(mount, source)) {
                continue;
            }
            String text = "mounts[" + i + "] " + source + " at " + mount.destination();
            (isReadOnly(mount) ? readOnly : writable).add(text);
        }
        if (!writable.isEmpty()) {
            return BenchmarkItems.SENSITIVE_MOUNTS.with(Status.FAIL, "writable bind of " + String.join(", ", writable));
        }
        if (!readOnly.isEmpty()) {
            return BenchmarkItems.SENSITIVE_MOUNTS.with(Status.WARN, "read-only bind of " + String.join(", ", readOnly));
        }
        return BenchmarkItems.SENSITIVE_MOUNTS.with(Status.PASS, "no host system directory is bound");
    }

    private static boolean isSensitive(String source) {
        return SENSITIVE.contains(source) || SENSITIVE_TREES.stream().anyMatch(tree -> source.startsWith(tree + "/"));
    }

    /**
     * A default device node bound from the host, or the host's /sys bound read-only on /sys: what rootless configs
     * (runc spec --rootless, bulwark spec --rootless) use, since only the network namespace's owner can mount sysfs.
     */
    private static boolean isHarmless(Mount mount, String source) {
        if (DEFAULT_DEVICES.contains(source) && source.equals(normalized(mount.destination()))) {
            return true;
        }
        return source.equals("/sys") && "/sys".equals(normalized(mount.destination())) && isReadOnly(mount);
    }

    static Finding readOnlyRoot(Spec spec) {
        if (spec.root() != null && Boolean.TRUE.equals(spec.root().readonly())) {
            return BenchmarkItems.READONLY_ROOT.with(Status.PASS, "root.readonly is true");
        }
        return BenchmarkItems.READONLY_ROOT.with(Status.WARN, spec.root() == null ? "no root"
                : spec.root().readonly() == null ? "root.readonly is absent (writable)" : "root.readonly is false");
    }

    static Finding devices(Spec spec) {
        if (PrivilegeChecks.allowsEveryDevice(spec.linux())) {
            return BenchmarkItems.DEVICES.with(Status.FAIL, "linux.resources.devices allows every device");
        }
        List<String> block = new ArrayList<>();
        List<String> other = new ArrayList<>();
        List<LinuxDevice> devices = spec.linux().devices();
        for (int i = 0; i < devices.size(); i++) {
            LinuxDevice device = devices.get(i);
            if ("b".equals(device.type())) {
                block.add("linux.devices[" + i + "] " + device.path() + " (block)");
            } else if (!DEFAULT_DEVICES.contains(normalized(device.path()))) {
                other.add("linux.devices[" + i + "] " + device.path());
            }
        }
        if (spec.linux().resources() != null) {
            List<LinuxDeviceCgroup> rules = spec.linux().resources().devices();
            for (int i = 0; i < rules.size(); i++) {
                LinuxDeviceCgroup rule = rules.get(i);
                if (!rule.allow() || rule.major() == null) {
                    continue;
                }
                String number = rule.major() + ":" + (rule.minor() == null ? "*" : rule.minor());
                if ("b".equals(rule.type())) {
                    block.add("linux.resources.devices[" + i + "] allows block device " + number);
                } else if (!DEFAULT_DEVICE_NUMBERS.contains(number)) {
                    other.add("linux.resources.devices[" + i + "] allows " + number);
                }
            }
        }
        if (!block.isEmpty()) {
            return BenchmarkItems.DEVICES.with(Status.FAIL, String.join(", ", block));
        }
        if (!other.isEmpty()) {
            return BenchmarkItems.DEVICES.with(Status.WARN, String.join(", ", other));
        }
        return BenchmarkItems.DEVICES.with(Status.PASS, "only the default device nodes");
    }

    static Finding propagation(Spec spec) {
        List<String> shared = new ArrayList<>();
        String rootPropagation = spec.linux().rootfsPropagation();
        if ("shared".equals(rootPropagation) || "rshared".equals(rootPropagation)) {
            shared.add("linux.rootfsPropagation is " + rootPropagation);
        }
        for (int i = 0; i < spec.mounts().size(); i++) {
            Mount mount = spec.mounts().get(i);
            if (mount.options().contains("shared") || mount.options().contains("rshared")) {
                shared.add("mounts[" + i + "] (" + mount.destination() + ") is shared");
            }
        }
        if (!shared.isEmpty()) {
            return BenchmarkItems.PROPAGATION.with(Status.FAIL, String.join(", ", shared));
        }
        return BenchmarkItems.PROPAGATION.with(Status.PASS, "no shared propagation");
    }

    static Finding engineSockets(Spec spec) {
        List<String> sockets = new ArrayList<>();
        for (int i = 0; i < spec.mounts().size(); i++) {
            Mount mount = spec.mounts().get(i);
            String source = normalized(mount.source());
            if (!isBind(mount) || source == null) {
                continue;
            }
            boolean socket = source.equals("/run") || source.equals("/var/run") // every socket in it
                    || ENGINE_SOCKETS.stream().anyMatch(name -> source.endsWith("/" + name))
                    || ENGINE_SOCKET_DIRECTORIES.stream().anyMatch(dir -> source.equals(dir) || source.startsWith(dir + "/"));
            if (socket) {
                sockets.add("mounts[" + i + "] " + source);
            }
        }
        if (!sockets.isEmpty()) {
            return BenchmarkItems.ENGINE_SOCKET.with(Status.FAIL, String.join(", ", sockets));
        }
        return BenchmarkItems.ENGINE_SOCKET.with(Status.PASS, "no engine socket is bound");
    }
}
