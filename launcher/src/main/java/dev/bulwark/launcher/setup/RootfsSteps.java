package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.HostPaths;
import dev.bulwark.launcher.plan.MountOptions;
import dev.bulwark.launcher.plan.RootPath;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.bulwark.nativ.constants.MountApi.*;
import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * The container's filesystem, in the child's new mount namespace and before pivot_root: the root
 * (the bundle's rootfs bound onto itself, or a tmpfs assembled from the host's /usr), the config's
 * mounts, a minimal /dev, then pivot_root into it and detach the host's tree. Host paths (the
 * rootfs, bind sources, devices) are looked up once, without following symlinks, and used by fd.
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
        String rootField = context.hostUsrRoot() ? "root (built-in: the host's /usr on a tmpfs)" : "root.path";
        steps.field(rootField);
        steps.changeMount("make every mount private", "nothing mounted from here on propagates back to the host",
                "/", MS_REC | MS_PRIVATE);
        Entry rootFd;
        if (context.hostUsrRoot()) {
            // A fresh tmpfs on the launcher's own state directory, in the child's private mount namespace.
            new HostUsrRoot(steps, rootText, spec).compile();
            rootFd = HostPathFds.open(steps, "--root (state directory)", root, true);
        } else {
            rootFd = bindBundleRoot();
        }
        InRootPaths inRoot = new InRootPaths(steps, rootFd);
        List<Mount> mounts = spec.mounts();
        for (int i = 0; i < mounts.size(); i++) {
            steps.field("mounts[" + i + "]");
            mount(inRoot, mounts, i);
        }
        steps.field("linux.devices");
        devices(inRoot);
        beforePivot.run();
        steps.field(rootField);
        pivot(rootFd);
    }

    /**
     * The bundle's rootfs, by fd from its first lookup on: opened once without following any
     * symlink (a rootfs swapped for a symlink fails with ELOOP), cloned recursively (open_tree),
     * made nodev, and attached on top of the directory it was cloned from, so that it is a mount
     * point of its own for pivot_root. The clone's fd is then the root's fd for every later step,
     * pivot_root included: rootText is never looked up again.
     */
    private Entry bindBundleRoot() {
        Entry directory = HostPathFds.open(steps, "root.path", root, true);
        Entry tree = steps.step("root.path: clone the root filesystem " + rootText, "a detached recursive copy of the rootfs, from its fd",
                "open_tree", 0, steps.string(""), OPEN_TREE_CLONE | OpenFlags.O_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH)
                .argumentFrom(0, directory);
        // Without a device cgroup, nodev is what keeps device nodes shipped in an image (a raw disk) unusable.
        // mount_setattr only adds nodev: flags the kernel locks on the rootfs's mount stay as they are.
        steps.step("root.path: set nodev on the root filesystem", "device nodes in the image cannot be opened", "mount_setattr",
                0, steps.string(""), AT_EMPTY_PATH, mountAttr(MOUNT_ATTR_NODEV, 0, 0), MOUNT_ATTR_SIZE).argumentFrom(0, tree);
        moveMount("root.path: attach the root filesystem on its own directory",
                "the root must be a mount point of its own for pivot_root", tree, directory);
        steps.step("root.path: close the rootfs directory's fd", "the attached clone's fd is the root from here on", "close", 0)
                .argumentFrom(0, directory);
        return tree;
    }

    /**
     * Mounts {@code mounts[index]} onto an fd of its destination opened inside the root (see
     * {@link InRootPaths}): a bind is a detached clone of the source (open_tree), a filesystem a new
     * one (fsopen, fsconfig, fsmount); flags go on with mount_setattr or fsmount, and move_mount
     * attaches the result to that fd. No step names the destination by a host path.
     */
    private void mount(InRootPaths inRoot, List<Mount> mounts, int index) {
        Mount mount = mounts.get(index);
        String field = "mounts[" + index + "]";
        String destination = mount.destination();
        refuseEscapingImageSymlink(mounts, index, field + ".destination");
        MountOptions options = MountOptions.parse(mount.options(), field + ".options");
        String type = mount.type() == null ? "" : mount.type();
        boolean bind = options.isBind() || type.equals("bind");
        String label = field + ".destination " + destination;
        Entry attached;
        Entry target;
        if (bind) {
            Path source = bindSource(mount, field);
            target = inRoot.create(destination, Files.isDirectory(source), label);
            boolean recursive = options.isRecursiveBind() || !options.isBind();
            Entry sourceFd = HostPathFds.open(steps, field + ".source", source, false);
            attached = steps.step(field + ".source: clone " + source, "a detached copy of the host path, from its fd, attached below to the destination's fd",
                    "open_tree", 0, steps.string(""), OPEN_TREE_CLONE | OpenFlags.O_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0))
                    .argumentFrom(0, sourceFd);
            inRoot.close(sourceFd, field + ".source");
            bindAttributes(attached, source, options, field, destination, mount.options());
            moveMount("bind " + source + " on " + destination + " (" + field + ")", "make a host path visible inside the container", attached, target);
        } else {
            if ((options.flags() & MS_REMOUNT) != 0) {
                throw new LaunchException(field + ".options: \"remount\" is only supported with a bind mount");
            }
            target = inRoot.create(destination, true, label);
            String fsType = type.equals("cgroup") ? "cgroup2" : type; // Bulwark is cgroup v2 only
            Entry under = null;
            if (fsType.equals("cgroup2")) {
                // A rootless /sys is an rbind of the host's and brings the host's cgroup2 mount along; the kernel
                // refuses (EBUSY) to stack the same cgroup2 superblock on the root of a mount of it.
                under = newFilesystem(field, "tmpfs", "tmpfs", List.of("mode=0555", "size=4k"),
                        MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "an empty tmpfs under the cgroup2 mount on " + destination);
                moveMount("mount an empty tmpfs under the cgroup2 mount on " + destination + " (" + field + ")",
                        "cgroup2 cannot be stacked directly on the host's cgroup2 mount that a rootless /sys brings along", under, target);
            }
            List<String> data = options.data().isEmpty() ? List.of() : List.of(options.data().split(","));
            attached = newFilesystem(field, fsType, mount.source() == null ? fsType : mount.source(), data, options.flags(),
                    fsType + " for " + destination);
            moveMount("mount " + fsType + " on " + destination + " (" + field + ")", explainFilesystem(fsType), attached, under != null ? under : target);
            if (under != null) {
                inRoot.close(under, label);
            }
        }
        for (long propagation : options.propagation()) {
            long attr = mountAttr(0, 0, propagation & ~MS_REC);
            steps.step(field + ".options: set propagation of " + destination, "as the mount's options ask", "mount_setattr", 0, steps.string(""),
                    AT_EMPTY_PATH | ((propagation & MS_REC) != 0 ? AT_RECURSIVE : 0), attr, MOUNT_ATTR_SIZE).argumentFrom(0, attached);
        }
        inRoot.close(attached, label);
        inRoot.close(target, label);
    }

    /**
     * An early, clear refusal of a destination that leaves the root through a symlink of the image as
     * it is now. Only a hint: the child resolves again, by fd, and that is what holds. A destination
     * under an earlier one is left to the child, which resolves it in the mounted tree, not the image.
     */
    private void refuseEscapingImageSymlink(List<Mount> mounts, int index, String field) {
        String destination = mounts.get(index).destination();
        if (!underAnEarlierDestination(mounts, index, destination)) {
            RootPath.resolve(root, destination, field);
        }
    }

    private static boolean underAnEarlierDestination(List<Mount> mounts, int count, String path) {
        Path normalized = Path.of(path).normalize();
        for (int i = 0; i < count; i++) {
            Path earlier = Path.of(mounts.get(i).destination()).normalize();
            if (normalized.startsWith(earlier) && !earlier.equals(normalized)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Flags for a bind, set on the detached clone before it is attached: the options' flags on the top
     * mount (like the remount they replace), nodev unless "dev" (device nodes come only from
     * linux.devices). Flags the kernel locks on a host mount (read from the host) are never cleared.
     */
    private void bindAttributes(Entry clone, Path source, MountOptions options, String field, String destination,
                                List<String> written) {
        long requested = options.remountFlags();
        long set = MountAttributes.flags(requested) | ((options.clearedFlags() & MS_NODEV) == 0 ? MOUNT_ATTR_NODEV : 0);
        long locked = MountAttributes.flags(LockedMountFlags.of(spec, source, requested));
        long clear = MountAttributes.flags(options.clearedFlags()) & ~locked;
        if (MountAttributes.setsAtime(requested)) {
            set |= MountAttributes.atime(requested);
            clear |= MOUNT_ATTR__ATIME;
        }
        steps.step(field + ".options: set " + String.join(",", written) + " on the clone for " + destination + " (nodev unless dev)",
                "flags go on the detached copy before it is attached", "mount_setattr", 0, steps.string(""), AT_EMPTY_PATH,
                mountAttr(set, clear, 0), MOUNT_ATTR_SIZE).argumentFrom(0, clone);
    }

    /** fsopen, fsconfig (source, each option, create), fsmount: a detached new filesystem. */
    private Entry newFilesystem(String field, String fsType, String source, List<String> data, long flags, String what) {
        Entry context = steps.step(field + ".type: new " + what, "a filesystem context, configured below",
                "fsopen", steps.string(fsType), FSOPEN_CLOEXEC);
        fsconfig(context, field + ".source: " + source, FSCONFIG_SET_STRING, "source", source);
        for (String option : data) {
            int equals = option.indexOf('=');
            if (equals < 0) {
                fsconfig(context, field + ".options: " + option, FSCONFIG_SET_FLAG, option, null);
            } else {
                fsconfig(context, field + ".options: " + option, FSCONFIG_SET_STRING, option.substring(0, equals),
                        option.substring(equals + 1));
            }
        }
        for (String flag : MountAttributes.superblockFlags(flags)) {
            fsconfig(context, field + ".options: " + flag, FSCONFIG_SET_FLAG, flag, null);
        }
        steps.step(field + ": create " + what, "the superblock exists now", "fsconfig", 0, FSCONFIG_CMD_CREATE, 0, 0, 0)
                .argumentFrom(0, context);
        Entry mount = steps.step(field + ".options: detached mount of " + what + " with its flags", "attached below to the destination's fd",
                "fsmount", 0, FSMOUNT_CLOEXEC, MountAttributes.flags(flags) | MountAttributes.atime(flags))
                .argumentFrom(0, context);
        steps.step(field + ": close the context of " + what, "done with it", "close", 0).argumentFrom(0, context);
        return mount;
    }

    private void fsconfig(Entry context, String name, long command, String key, String value) {
        steps.step(name, "a filesystem option, passed to the kernel as mount(2) would", "fsconfig", 0, command,
                steps.string(key), value == null ? 0 : steps.string(value), 0).argumentFrom(0, context);
    }

    private void moveMount(String name, String why, Entry from, Entry target) {
        steps.step(name, why + "; attached to the destination's fd, not to a path looked up again", "move_mount",
                0, steps.string(""), 0, steps.string(""), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
                .argumentFrom(0, from).argumentFrom(2, target);
    }

    private long mountAttr(long set, long clear, long propagation) {
        long attr = steps.memory().allocate(MOUNT_ATTR_SIZE); // struct mount_attr: attr_set, attr_clr, propagation, userns_fd
        NativeMemory.putLong(attr, set);
        NativeMemory.putLong(attr + 8, clear);
        NativeMemory.putLong(attr + 16, propagation);
        return attr;
    }

    /** The canonical host path of a bind's source (a bundle-relative one from the bundle): the child opens it by fd. */
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
        return HostPathFds.canonical(source.toAbsolutePath().normalize(), field + ".source");
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

    /** A minimal /dev: a few safe device nodes bound from the host, and the standard links, all through fds in the root. */
    private void devices(InRootPaths inRoot) {
        List<Mount> mounts = spec.mounts();
        if (!underAnEarlierDestination(mounts, mounts.size(), "/dev/null")) {
            RootPath.resolve(root, "/dev", "linux.devices"); // the early hint, as for mounts[]
        }
        Entry dev = inRoot.create("/dev", true, "linux.devices /dev");
        for (String device : DEFAULT_DEVICES) {
            bindDevice(inRoot, device, "linux.devices");
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
            bindDevice(inRoot, path, "linux.devices[" + i + "].path");
        }
        symlink(dev, "/proc/self/fd", "fd");
        symlink(dev, "/proc/self/fd/0", "stdin");
        symlink(dev, "/proc/self/fd/1", "stdout");
        symlink(dev, "/proc/self/fd/2", "stderr");
        symlink(dev, "pts/ptmx", "ptmx");
        inRoot.close(dev, "linux.devices /dev");
    }

    private void symlink(Entry dev, String target, String name) {
        steps.step("create symlink /dev/" + name + " -> " + target, "a standard link the container expects, made in /dev's fd",
                "symlinkat", steps.string(target), 0, steps.string(name)).argumentFrom(1, dev).tolerate(Errno.EEXIST);
    }

    /** Binds the host's {@code device} (its canonical path, by fd) on the same path inside the root. */
    private void bindDevice(InRootPaths inRoot, String device, String field) {
        String label = field + " " + device;
        Path host = HostPathFds.canonical(Path.of(device), field);
        Entry target = inRoot.create(device, false, label);
        Entry hostFd = HostPathFds.open(steps, field, host, false);
        Entry clone = steps.step(field + ": clone the host's " + device, "device nodes cannot be created in a user namespace, so the host's are bound",
                "open_tree", 0, steps.string(""), OPEN_TREE_CLONE | OpenFlags.O_CLOEXEC | AT_EMPTY_PATH).argumentFrom(0, hostFd);
        inRoot.close(hostFd, label);
        moveMount("bind device " + device, "device nodes cannot be created in a user namespace, so the host's are bound",
                clone, target);
        inRoot.close(clone, label);
        inRoot.close(target, label);
    }

    /** pivot_root into the root's fd: fchdir to it, never a chdir by the host path. */
    private void pivot(Entry rootFd) {
        steps.step("change directory to the root's fd", "pivot_root works on the current directory; the fd, not " + rootText,
                "fchdir", 0).argumentFrom(0, rootFd);
        steps.step("close the root's fd", "every mount is in place and the current directory holds the root", "close", 0)
                .argumentFrom(0, rootFd);
        steps.step("pivot_root into " + rootText, "the container's root becomes /, the host's tree moves under it",
                "pivot_root", steps.string("."), steps.string("."));
        steps.step("detach the host's root", "lazily unmount the old root so no host path stays reachable",
                "umount2", steps.string("."), MNT_DETACH);
        steps.chdir("/", "start from the new root");
    }
}
