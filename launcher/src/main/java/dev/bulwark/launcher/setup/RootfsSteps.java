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
import java.util.HexFormat;
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
    private final LauncherMounts prepared;

    RootfsSteps(ChildSteps steps, ContainerContext context) {
        this(steps, context, LauncherMounts.none());
    }

    /** @param prepared detached mounts the launcher made (idmapped clones, device nodes), attached here by fd */
    RootfsSteps(ChildSteps steps, ContainerContext context, LauncherMounts prepared) {
        this.steps = steps;
        this.context = context;
        this.prepared = prepared;
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
        if (prepared.rootTree().isPresent()) {
            return attachIdmappedRoot(prepared.rootTree().get());
        }
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
     * The rootfs as the launcher idmapped it (see {@link LauncherMounts}): container root may not reach
     * its host path, so the clone is attached on a directory it can reach, in the state directory, in
     * the child's own mount namespace (private: nothing propagates to the host). Its fd is then the root's.
     */
    private Entry attachIdmappedRoot(int launcherFd) {
        Path attachPoint = prepared.rootAttachPoint();
        Entry tree = inherited(launcherFd, "root.path: the idmapped clone of " + rootText,
                "the launcher cloned the rootfs and idmapped it with the container's user namespace");
        Entry directory = HostPathFds.open(steps, "root.path (idmapped, attached at " + attachPoint + ")", attachPoint, true);
        moveMount("root.path: attach the idmapped root filesystem on " + attachPoint,
                "the root must be a mount point of its own for pivot_root, somewhere container root can reach", tree, directory);
        steps.step("root.path: close the attach point's fd", "the attached clone's fd is the root from here on", "close", 0)
                .argumentFrom(0, directory);
        return tree;
    }

    /**
     * A launcher's clone, made again here so that it gets its mount id in config order: the kernel lists
     * /proc/self/mountinfo by mount id, and the launcher's clone was made before every mount of the child.
     * A detached mount of another mount namespace cannot be cloned, so it is attached on the destination
     * first, cloned from there (open_tree keeps its idmap and flags), and detached again through its fd
     * (the magic link /proc/self/fd/N of the host's /proc, still visible before pivot_root). The clone is
     * attached below like any bind. The launcher's clone was made with the flags the launcher set: idmapped
     * where container root cannot reach the source, or with an atime mode the kernel locks in a user namespace.
     */
    private Entry recloneInConfigOrder(int launcherFd, Entry target, boolean recursive, String name) {
        String why = "the launcher cloned it with its flags (idmapped where container root cannot reach it, or with an "
                + "atime mode the kernel locks in a user namespace)";
        Entry launcherClone = steps.step(name + " (launcher fd " + launcherFd + ")", why, "dup", launcherFd);
        moveMount(name + ": attach it for a moment", "only an attached mount of this namespace can be cloned", launcherClone, target);
        Entry clone = steps.step(name + ": clone it again", "a mount id in config order; idmap and flags are kept",
                "open_tree", 0, steps.string(""), OPEN_TREE_CLONE | OpenFlags.O_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0))
                .argumentFrom(0, launcherClone);
        steps.step(name + ": detach the launcher's clone", "through its fd, not a path looked up in the root",
                "umount2", steps.string("/proc/self/fd/" + launcherFd), MNT_DETACH);
        steps.step(name + ": close launcher fd " + launcherFd, "detached and done with", "close", launcherFd);
        steps.step(name + ": close its dup", "detached and done with", "close", 0).argumentFrom(0, launcherClone);
        return clone;
    }

    /** Takes over an fd the launcher prepared before clone: a dup to use by entry, and the inherited number closed. */
    private Entry inherited(int launcherFd, String name, String why) {
        Entry own = steps.step(name + " (launcher fd " + launcherFd + ")", why, "dup", launcherFd);
        steps.step(name + ": close launcher fd " + launcherFd, "the dup holds it", "close", launcherFd);
        return own;
    }

    /**
     * Mounts {@code mounts[index]} onto an fd of its destination opened inside the root (see
     * {@link InRootPaths}): a bind is a detached clone of the source (open_tree), a filesystem a new
     * one (fsopen, fsconfig, fsmount); flags go on with mount_setattr or fsmount, and move_mount
     * attaches the result to that fd. No step names the destination by a host path.
     */
    private void mount(InRootPaths inRoot, List<Mount> mounts, int index) {
        Mount mount = hostSysBindIfNeeded(mounts.get(index));
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
            Path source = bindSource(mount.source(), context.bundle(), field);
            target = inRoot.create(destination, Files.isDirectory(source), label);
            if (prepared.bind(index).isPresent()) {
                attached = recloneInConfigOrder(prepared.bind(index).get(), target, options.isRecursiveBind() || !options.isBind(),
                        field + ".source: the launcher's clone of " + source);
            } else {
                boolean recursive = options.isRecursiveBind() || !options.isBind();
                Entry sourceFd = HostPathFds.open(steps, field + ".source", source, false);
                attached = steps.step(field + ".source: clone " + source, "a detached copy of the host path, from its fd, attached below to the destination's fd",
                        "open_tree", 0, steps.string(""), OPEN_TREE_CLONE | OpenFlags.O_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0))
                        .argumentFrom(0, sourceFd);
                inRoot.close(sourceFd, field + ".source");
                bindAttributes(attached, recursive, source, options, field, destination, mount.options());
            }
            moveMount("bind " + source + " on " + destination + " (" + field + ")", "make a host path visible inside the container", attached, target);
        } else {
            if ((options.flags() & MS_REMOUNT) != 0) {
                throw new LaunchException(field + ".options: \"remount\" is only supported with a bind mount");
            }
            if (mount.options() != null && mount.options().contains(TmpCopyUp.OPTION)) {
                if (!type.equals("tmpfs")) {
                    throw new LaunchException(field + ".options: \"" + TmpCopyUp.OPTION + "\" applies to a tmpfs only");
                }
                TmpCopyUp.requireNothingToCopy(root, destination, field + ".options");
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
        if (LandlockSteps.isWritableDataMount(mounts.get(index))) {
            steps.keepMountRoot(destination, attached); // Landlock's write rule names this mount by fd, not by its path again
        } else {
            inRoot.close(attached, label);
        }
        inRoot.close(target, label);
    }

    /**
     * A sysfs mount from a new user namespace that does not own the network namespace (a joined one, or
     * the host's) is refused by the kernel (EPERM): as runc and crun do, bind the host's /sys recursively
     * instead, with the mount's options.
     */
    private Mount hostSysBindIfNeeded(Mount mount) {
        if (!"sysfs".equals(mount.type()) || !spec.linux().createsNamespace("user") || spec.linux().createsNamespace("network")) {
            return mount;
        }
        List<String> options = new java.util.ArrayList<>(mount.options() == null ? List.of() : mount.options());
        options.add("rbind");
        return new Mount(mount.destination(), "bind", "/sys", options);
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
    private void bindAttributes(Entry clone, boolean recursive, Path source, MountOptions options, String field,
                                String destination, List<String> written) {
        long[] masks = bindAttributeMasks(spec, source, options);
        long set = masks[0];
        long clear = masks[1];
        steps.step(field + ".options: set " + String.join(",", written) + " on the clone for " + destination + " (nodev unless dev)",
                "flags go on the detached copy before it is attached", "mount_setattr", 0, steps.string(""), AT_EMPTY_PATH,
                mountAttr(set, clear, 0), MOUNT_ATTR_SIZE).argumentFrom(0, clone);
        // A recursive bind's submounts get the restricting flags too: "ro" means the whole tree (only setting, never
        // clearing, so flags the kernel locks on a submount cannot refuse it)
        long restricting = set & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (recursive && restricting != 0) {
            steps.step(field + ".options: the same restrictions on every submount of the clone for " + destination,
                    "a read-only tree stays read-only below its top", "mount_setattr", 0, steps.string(""),
                    AT_EMPTY_PATH | AT_RECURSIVE, mountAttr(restricting, 0, 0), MOUNT_ATTR_SIZE).argumentFrom(0, clone);
        }
    }

    /** {attr_set, attr_clr} of a bind's mount_setattr (see bindAttributes); also what the launcher sets on an idmapped clone. */
    static long[] bindAttributeMasks(Spec spec, Path source, MountOptions options) {
        long requested = options.remountFlags();
        long set = MountAttributes.flags(requested) | ((options.clearedFlags() & MS_NODEV) == 0 ? MOUNT_ATTR_NODEV : 0);
        long locked = MountAttributes.flags(LockedMountFlags.of(spec, source, requested));
        long clear = MountAttributes.flags(options.clearedFlags()) & ~locked;
        if (MountAttributes.setsAtime(requested)) {
            set |= MountAttributes.atime(requested);
            clear |= MOUNT_ATTR__ATIME;
        }
        return new long[] {set, clear};
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
    static Path bindSource(String written, Path bundle, String field) {
        if (written == null) {
            throw new LaunchException(field + ".source: a bind mount needs a source");
        }
        Path source = HostPaths.of(written, field + ".source");
        if (!source.isAbsolute()) {
            if (bundle == null) {
                throw new LaunchException(field + ".source: must be absolute without a bundle");
            }
            source = bundle.resolve(source);
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
            bindDevice(inRoot, dev, device, "linux.devices");
        }
        List<LinuxDevice> extra = spec.linux() == null ? List.of() : spec.linux().devices();
        // Without a user namespace the child is host root and makes the nodes the config describes, as runc does;
        // in one, mknod is not allowed and the host's node is bound instead.
        boolean userNamespace = spec.linux() != null && spec.linux().hasNamespace("user");
        for (int i = 0; i < extra.size(); i++) {
            String path = extra.get(i).path();
            if (DEFAULT_DEVICES.contains(path)) {
                continue;
            }
            if (prepared.device(i).isPresent()) { // made by the launcher: mknod is denied in a user namespace
                bindLauncherDevice(inRoot, path, prepared.device(i).get(), "linux.devices[" + i + "].path");
                continue;
            }
            if (!userNamespace) {
                makeDevice(inRoot, extra.get(i), "linux.devices[" + i + "]");
                continue;
            }
            if (!Files.exists(Path.of(path))) {
                throw new LaunchException("linux.devices[" + i + "].path: " + path
                        + " does not exist on the host; in a user namespace devices can only be bound from the host");
            }
            bindDevice(inRoot, dev, path, "linux.devices[" + i + "].path");
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

    /**
     * mknodat of the config's node in the fd of its directory inside the root (missing directories made on
     * the way, as for a mount's destination) under a random temporary name, its owner set with fchownat, then
     * linked to its name (linkat never replaces) and the temporary name removed. The umask is 0 for the
     * mknodat only, so that fileMode is exact. An
     * entry that already exists is left as it is, owner included (runc does the same).
     */
    private void makeDevice(InRootPaths inRoot, LinuxDevice device, String field) {
        String path = device.path();
        Path normalized = Path.of(path).normalize();
        if (!normalized.isAbsolute() || normalized.getFileName() == null) {
            throw new LaunchException(field + ".path: \"" + path + "\" must be an absolute path below /");
        }
        DeviceNode node = DeviceNode.of(device, field);
        String name = normalized.getFileName().toString();
        String label = field + ".path " + path;
        Entry directory = inRoot.create(normalized.getParent().toString(), true, label);
        // The table has no branches: the node is made and owned under a name of ours (random per launch, so none
        // can be planted for it), then linked into place only if nothing is there (linkat never replaces an entry,
        // on any filesystem); an existing entry is left as it is, owner included (runc's behaviour).
        byte[] random = new byte[8];
        new java.security.SecureRandom().nextBytes(random);
        long temporary = steps.string(".bulwark-" + HexFormat.of().formatHex(random));
        Entry umask = steps.step(field + ": umask 0 for " + path, "fileMode is the node's exact mode", "umask", 0);
        steps.step(field + ": make " + device.type() + " " + node.major() + ":" + node.minor() + " mode " + Integer.toOctalString(node.mode())
                        + " for " + path,
                "the device node the config describes, made in its directory's fd under a temporary name (no user namespace: the child is host root)",
                "mknodat", 0, temporary, node.mknodMode(), node.dev()).argumentFrom(0, directory);
        steps.step(field + ": the umask from before", "the steps up to the workload's own umask (ProcessSteps) create files as before",
                "umask", 0).argumentFrom(0, umask);
        steps.step(field + ": owner " + node.uid() + ":" + node.gid() + " of the new node", "the node's uid and gid from the config",
                "fchownat", 0, temporary, node.uid(), node.gid(), OpenFlags.AT_SYMLINK_NOFOLLOW).argumentFrom(0, directory);
        steps.step(field + ": link the node at " + path, "never over an entry that exists (EEXIST: that entry is left alone)",
                "linkat", 0, temporary, 0, steps.string(name), 0)
                .argumentFrom(0, directory).argumentFrom(2, directory).tolerate(Errno.EEXIST);
        steps.step(field + ": remove the temporary name", "the node stays under " + path + " when it was linked there",
                "unlinkat", 0, temporary, 0).argumentFrom(0, directory);
        inRoot.close(directory, label);
    }

    /**
     * Binds the host's {@code device} (its canonical path, by fd) on the same path inside the root. A node
     * directly in /dev is made in {@code dev}, the fd of the container's /dev opened after every mount (binding
     * a node on a file never changes that directory), instead of looking /dev up again for each node.
     */
    private void bindDevice(InRootPaths inRoot, Entry dev, String device, String field) {
        String label = field + " " + device;
        Path host = HostPathFds.canonical(Path.of(device), field);
        Path inContainer = Path.of(device).normalize();
        Entry target = inContainer.getParent() != null && inContainer.getParent().toString().equals("/dev")
                && inContainer.getFileName() != null
                ? inRoot.createIn(dev, "/dev", inContainer.getFileName().toString(), false, label)
                : inRoot.create(device, false, label);
        Entry hostFd = HostPathFds.open(steps, field, host, false);
        Entry clone = steps.step(field + ": clone the host's " + device, "device nodes cannot be created in a user namespace, so the host's are bound",
                "open_tree", 0, steps.string(""), OPEN_TREE_CLONE | OpenFlags.O_CLOEXEC | AT_EMPTY_PATH).argumentFrom(0, hostFd);
        inRoot.close(hostFd, label);
        moveMount("bind device " + device, "device nodes cannot be created in a user namespace, so the host's are bound",
                clone, target);
        inRoot.close(clone, label);
        inRoot.close(target, label);
    }

    /** Binds the node the launcher made on its private tmpfs (mknod is denied in a user namespace) on {@code device}. */
    private void bindLauncherDevice(InRootPaths inRoot, String device, int launcherFd, String field) {
        String label = field + " " + device;
        Entry target = inRoot.create(device, false, label);
        Entry node = inherited(launcherFd, label + ": the node the launcher made",
                "mknod is denied in a user namespace: the launcher made it with the config's type, numbers, mode and owner");
        moveMount("bind device " + device + " made by the launcher", "the config's device, not the host's node of that name", node, target);
        inRoot.close(node, label);
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
