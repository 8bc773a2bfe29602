package dev.bulwark.launcher.child;

import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.HostPaths;
import dev.bulwark.launcher.plan.MountOptions;
import dev.bulwark.launcher.plan.RootPath;
import dev.bulwark.nativ.Errno;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * The container's filesystem, in the child's new mount namespace and before pivot_root: the root
 * (the bundle's rootfs bound onto itself, or a tmpfs assembled from the host's /usr), the config's
 * mounts, a minimal /dev, then pivot_root into it and detach the host's tree.
 */
final class RootfsSteps {
    /** Device nodes every container gets, bind-mounted from the host (mknod is not allowed in a user namespace). */
    static final List<String> DEFAULT_DEVICES = List.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random",
            "/dev/urandom", "/dev/tty");

    private final ChildSteps steps;
    private final ContainerContext context;
    private final Spec spec;
    private final Path root;
    private final String rootText;

    RootfsSteps(ChildSteps steps, ContainerContext context) {
        this.steps = steps;
        this.context = context;
        this.spec = context.spec();
        this.root = context.rootfs();
        this.rootText = root.toString();
    }

    /** @param beforePivot steps that need the host's tree, run after the mounts are private and before pivot_root */
    void compile(Runnable beforePivot) {
        steps.changeMount("make every mount private", "nothing mounted from here on propagates back to the host",
                "/", MS_REC | MS_PRIVATE);
        if (context.hostUsrRoot()) {
            new HostUsrRoot(steps, rootText, spec).compile();
        } else {
            steps.mount("bind the root filesystem " + rootText, "the root must be a mount point of its own for pivot_root",
                    rootText, rootText, null, MS_BIND | MS_REC, null);
            // Without a device cgroup, nodev is what keeps device nodes shipped in an image (a raw disk) unusable.
            steps.changeMount("remount the root filesystem nodev", "device nodes in the image cannot be opened",
                    rootText, MS_BIND | MS_REMOUNT | MS_NODEV | LockedMountFlags.of(root, 0));
        }
        List<Mount> mounts = spec.mounts();
        for (int i = 0; i < mounts.size(); i++) {
            mount(mounts.get(i), "mounts[" + i + "]");
        }
        devices();
        beforePivot.run();
        pivot();
    }

    private void mount(Mount mount, String field) {
        String destination = mount.destination();
        Path target = RootPath.resolve(root, destination, field + ".destination");
        MountOptions options = MountOptions.parse(mount.options(), field + ".options");
        String type = mount.type() == null ? "" : mount.type();
        boolean bind = options.isBind() || type.equals("bind");
        String targetText = target.toString();
        if (bind) {
            Path source = bindSource(mount, field);
            createMountPoint(targetText, Files.isDirectory(source));
            long flags = MS_BIND | (options.isRecursiveBind() || !options.isBind() ? MS_REC : 0);
            steps.mount("bind " + source + " on " + destination, "make a host path visible inside the container",
                    source.toString(), targetText, null, flags, null);
            // nodev unless the options say "dev": device nodes come only from linux.devices.
            long remount = options.remountFlags() | ((options.clearedFlags() & MS_NODEV) == 0 ? MS_NODEV : 0);
            steps.changeMount("remount " + destination + " with " + String.join(",", mount.options()) + " (nodev unless dev)",
                    "a bind mount takes flags like ro only through a remount",
                    targetText, MS_BIND | MS_REMOUNT | remount | LockedMountFlags.of(source, remount));
        } else {
            createMountPoint(targetText, true);
            String fsType = type.equals("cgroup") ? "cgroup2" : type; // Bulwark is cgroup v2 only
            if (fsType.equals("cgroup2")) {
                // A rootless /sys is an rbind of the host's and brings the host's cgroup2 mount along; the kernel
                // refuses (EBUSY) to stack the same cgroup2 superblock on the root of a mount of it.
                steps.mount("mount an empty tmpfs under the cgroup2 mount on " + destination,
                        "cgroup2 cannot be stacked directly on the host's cgroup2 mount that a rootless /sys brings along",
                        "tmpfs", targetText, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555,size=4k");
            }
            steps.mount("mount " + fsType + " on " + destination, explainFilesystem(fsType),
                    mount.source() == null ? fsType : mount.source(), targetText, fsType, options.flags(),
                    options.data().isEmpty() ? null : options.data());
        }
        for (long propagation : options.propagation()) {
            steps.changeMount("set propagation of " + destination, "as the mount's options ask", targetText, propagation);
        }
    }

    private Path bindSource(Mount mount, String field) {
        if (mount.source() == null) {
            throw new LaunchException(field + ".source: a bind mount needs a source");
        }
        Path source = HostPaths.of(mount.source(), field + ".source");
        if (!source.isAbsolute()) {
            if (context.bundle() == null) {
                throw new LaunchException(field + ".source: must be absolute without a bundle");
            }
            source = context.bundle().resolve(source);
        }
        if (!Files.exists(source)) {
            throw new LaunchException(field + ".source: " + source + " does not exist");
        }
        return source.toAbsolutePath().normalize();
    }

    /** Creates the directory (or empty file) a mount lands on, and any missing parents, in the child. */
    private void createMountPoint(String target, boolean directory) {
        if (!target.startsWith(rootText)) {
            throw new IllegalStateException(target + " is outside " + rootText);
        }
        if (directory) {
            steps.mkdirs(rootText, target);
        } else {
            steps.mkdirs(rootText, target.substring(0, target.lastIndexOf('/')));
            steps.touch(target);
        }
    }

    private static String explainFilesystem(String type) {
        return switch (type) {
            case "proc" -> "a /proc of the new pid namespace: the container sees only its own processes";
            case "tmpfs" -> "a fresh in-memory filesystem owned by the container";
            case "devpts" -> "a private pseudo-terminal instance, not the host's";
            case "mqueue" -> "POSIX message queues of the container's own ipc namespace";
            case "sysfs" -> "kernel objects, read-only, seen through the container's network namespace";
            case "cgroup2" -> "the container's own cgroup subtree (cgroup namespace)";
            default -> "a filesystem the config asks for";
        };
    }

    /** A minimal /dev: a few safe device nodes bound from the host, and the standard links. */
    private void devices() {
        String dev = inRoot("/dev", "linux.devices");
        steps.mkdirs(rootText, dev);
        for (String device : DEFAULT_DEVICES) {
            bindDevice(device, "linux.devices");
        }
        List<LinuxDevice> extra = spec.linux() == null ? List.of() : spec.linux().devices();
        for (int i = 0; i < extra.size(); i++) {
            String path = extra.get(i).path();
            if (DEFAULT_DEVICES.contains(path)) {
                continue;
            }
            if (!Files.exists(Path.of(path))) {
                throw new LaunchException("linux.devices[" + i + "].path: " + path
                        + " does not exist on the host; in a user namespace devices can only be bound from the host");
            }
            bindDevice(path, "linux.devices[" + i + "].path");
        }
        steps.symlink("/proc/self/fd", dev + "/fd").tolerate(Errno.EEXIST);
        steps.symlink("/proc/self/fd/0", dev + "/stdin").tolerate(Errno.EEXIST);
        steps.symlink("/proc/self/fd/1", dev + "/stdout").tolerate(Errno.EEXIST);
        steps.symlink("/proc/self/fd/2", dev + "/stderr").tolerate(Errno.EEXIST);
        steps.symlink("pts/ptmx", dev + "/ptmx").tolerate(Errno.EEXIST);
    }

    /**
     * The host path of {@code containerPath} in the root, resolved like mount destinations so that
     * creating it never follows an image's symlink out to the host.
     */
    private String inRoot(String containerPath, String field) {
        return RootPath.resolve(root, containerPath, field).toString();
    }

    private void bindDevice(String device, String field) {
        String directory = inRoot(device.substring(0, device.lastIndexOf('/')), field);
        String target = directory + device.substring(device.lastIndexOf('/'));
        steps.mkdirs(rootText, directory);
        steps.touch(target);
        steps.mount("bind device " + device, "device nodes cannot be created in a user namespace, so the host's are bound",
                device, target, null, MS_BIND, null);
    }

    private void pivot() {
        steps.chdir(rootText, "pivot_root works on the current directory");
        steps.step("pivot_root into " + rootText, "the container's root becomes /, the host's tree moves under it",
                "pivot_root", steps.string("."), steps.string("."));
        steps.step("detach the host's root", "lazily unmount the old root so no host path stays reachable",
                "umount2", steps.string("."), MNT_DETACH);
        steps.chdir("/", "start from the new root");
    }
}
