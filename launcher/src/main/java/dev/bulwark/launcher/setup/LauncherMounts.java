package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.MountOptions;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.MountCalls;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

import static dev.bulwark.nativ.constants.MountApi.*;

/**
 * Mounts the launcher prepares as host root, before clone, for a container whose user namespace it
 * maps: detached mounts (never attached to the host's tree) whose fds the child inherits and attaches
 * with move_mount in place of what it would otherwise make itself (see {@link RootfsSteps}).
 *
 * <p><b>Idmapped mounts.</b> Container root is an unprivileged host user: a root-owned rootfs or bind
 * source below a 0700 directory (Podman's storage) is out of its reach, and a root-owned image shows
 * every file as nobody's. The launcher opens such a path by fd (openat2, no symlink followed), clones it
 * (open_tree) and idmaps the clone with the container's user namespace (mount_setattr
 * {@code MOUNT_ATTR_IDMAP}): on that mount a file owned by host uid N is seen as container uid N, as
 * under runc, and a file container root creates is owned by host root on disk, as with Podman's
 * idmapped storage. The rule ({@link IdmapRule}): only as root, for a user namespace the container
 * creates and Bulwark maps; a path whose host owner is inside the mapped range is left alone (an image
 * already shifted for that range); otherwise the rootfs is idmapped when the range is Bulwark's own
 * choice (the config lists no uidMappings, as under the hardened profile) or the rootfs is unreachable
 * by container root, and a bind source when it is unreachable (one the mapped range owns already but
 * container root cannot reach, below a 0700 directory of host root, is cloned without idmap). A filesystem that cannot be idmapped
 * falls back to the plain bind, which works where the path is reachable. A bind whose options set an
 * atime mode is also cloned here, without idmap: in a user namespace the kernel locks a host mount's
 * atime mode (EPERM), and a clone made by host root is not locked (other locked flags are kept as the
 * child keeps them, see {@link LockedMountFlags}).
 *
 * <p><b>Devices.</b> mknod is denied in a user namespace, so each listed device (not one of the
 * defaults bound from the host) is made by the launcher on a private tmpfs mounted detached (fsopen,
 * fsmount; never attached anywhere) with the config's type, major, minor, mode, and its uid/gid mapped to
 * host ids, then cloned alone (open_tree) for the child to bind on its path in the container's /dev.
 * Containers without a user namespace make their nodes themselves (mknod in the child's table).
 */
public final class LauncherMounts implements AutoCloseable {

    private final List<Integer> fds = new ArrayList<>();
    private int rootTree = -1;
    private Path rootAttachPoint;
    private final Map<Integer, Integer> binds = new LinkedHashMap<>();
    private final Map<Integer, Integer> devices = new LinkedHashMap<>();

    private LauncherMounts() {
    }

    /** Nothing prepared: the child makes every mount itself (rootless, or no user namespace Bulwark maps). */
    public static LauncherMounts none() {
        return new LauncherMounts();
    }

    /**
     * What a launch asks for.
     *
     * @param spec            the planned config (its mounts' indexes are the child's)
     * @param bundle          the bundle directory (bind sources may be relative to it), or null
     * @param rootfs          the bundle's canonical rootfs, or null when the root is assembled in the state directory
     * @param attachPoint     a directory container root can reach (in the state directory), where the
     *                        child attaches an idmapped rootfs, in its own mount namespace, for pivot_root
     * @param uidMap          the container's uid mappings
     * @param gidMap          the container's gid mappings
     * @param rangeChosen     whether Bulwark chose the range (the config lists no uidMappings)
     * @param usernsFd        an fd of a user namespace carrying these mappings, asked for only when needed
     */
    public record Request(Spec spec, Path bundle, Path rootfs, java.util.function.Supplier<Path> attachPoint,
                          List<LinuxIdMapping> uidMap, List<LinuxIdMapping> gidMap, boolean rangeChosen,
                          IntSupplier usernsFd) {
    }

    /** Prepares what {@code request} needs; on failure closes what it opened and throws. */
    public static LauncherMounts prepare(Request request) {
        LauncherMounts prepared = new LauncherMounts();
        try {
            IdmapRule rule = new IdmapRule(request.uidMap(), request.gidMap());
            if (request.rootfs() != null) {
                prepared.idmapRootfs(request, rule);
            }
            List<Mount> mounts = request.spec().mounts();
            for (int i = 0; i < mounts.size(); i++) {
                prepared.idmapBind(request, rule, mounts.get(i), i);
            }
            List<LinuxDevice> listed = request.spec().linux() == null ? List.of() : request.spec().linux().devices();
            for (int i = 0; i < listed.size(); i++) {
                if (!RootfsSteps.DEFAULT_DEVICES.contains(listed.get(i).path())) {
                    prepared.devices.put(i, prepared.keep(makeDevice(listed.get(i), "linux.devices[" + i + "]", rule)));
                }
            }
            return prepared;
        } catch (RuntimeException e) {
            prepared.close();
            throw e;
        }
    }

    /** The idmapped clone of the rootfs, if the launcher made one. */
    public Optional<Integer> rootTree() {
        return rootTree < 0 ? Optional.empty() : Optional.of(rootTree);
    }

    /** Where the child attaches {@link #rootTree()}: a directory container root can reach. */
    Path rootAttachPoint() {
        return rootAttachPoint;
    }

    /** The idmapped clone for {@code mounts[index]}, if the launcher made one. */
    Optional<Integer> bind(int index) {
        return Optional.ofNullable(binds.get(index));
    }

    /** The detached bind of the node the launcher made for {@code linux.devices[index]}, if any. */
    Optional<Integer> device(int index) {
        return Optional.ofNullable(devices.get(index));
    }

    /** Every fd the child inherits from here (it closes each once attached). */
    public List<Integer> fds() {
        return List.copyOf(fds);
    }

    private void idmapRootfs(Request request, IdmapRule rule) {
        int directory = MountCalls.openPath(request.rootfs().toString(), OpenFlags.O_DIRECTORY, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        try {
            int owner = DirectoryCalls.statx(directory, "", DirectoryCalls.AT_EMPTY_PATH).uid();
            boolean reachable = rule.reachableByContainerRoot(request.rootfs());
            boolean readOnly = request.spec().root() != null && Boolean.TRUE.equals(request.spec().root().readonly());
            if (!rule.idmapRootfs(owner, request.rangeChosen(), reachable, readOnly)) {
                return;
            }
            Path attachPoint = request.attachPoint().get();
            if (!rule.reachableByContainerRoot(attachPoint)) {
                throw new LaunchException("root.path: " + request.rootfs() + " is idmapped and attached at " + attachPoint
                        + " for pivot_root, which the container's root cannot reach; use a --root whose directories others can search");
            }
            int tree = idmappedClone(directory, true, request.usernsFd(), MOUNT_ATTR_NODEV, 0); // nodev, as RootfsSteps sets
            if (tree < 0) {
                if (!reachable) {
                    throw new LaunchException("root.path: " + request.rootfs() + " is not reachable by the container's root "
                            + "and its filesystem cannot be idmapped; move the bundle or allow others to search the directories above it");
                }
                return;
            }
            rootTree = keep(tree);
            rootAttachPoint = attachPoint;
        } finally {
            Syscalls.close(directory);
        }
    }

    private void idmapBind(Request request, IdmapRule rule, Mount mount, int index) {
        String field = "mounts[" + index + "]";
        MountOptions options = MountOptions.parse(mount.options(), field + ".options");
        boolean bind = options.isBind() || "bind".equals(mount.type());
        if (!bind || mount.source() == null) {
            return;
        }
        Path source = RootfsSteps.bindSource(mount.source(), request.bundle(), field);
        boolean reachable = rule.reachableByContainerRoot(source);
        // The kernel locks a host mount's atime mode in a user namespace (EPERM on change); the launcher's clone is not locked.
        boolean setsAtime = MountAttributes.setsAtime(options.remountFlags());
        if (reachable && !setsAtime) {
            return;
        }
        boolean recursive = options.isRecursiveBind() || !options.isBind();
        int opened = MountCalls.openPath(source.toString(), 0, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        try {
            int owner = DirectoryCalls.statx(opened, "", DirectoryCalls.AT_EMPTY_PATH).uid();
            long[] attributes = RootfsSteps.bindAttributeMasks(request.spec(), source, options);
            if (!rule.idmapBind(owner, reachable)) {
                // Owned by the mapped range (or reachable): no idmap needed. A source container root cannot reach
                // (below a 0700 directory of host root, as the API's staged copies are) is cloned here, as host root.
                if (setsAtime || !reachable) {
                    binds.put(index, keep(plainClone(opened, recursive, attributes[0], attributes[1])));
                }
                return;
            }
            int tree = idmappedClone(opened, recursive, request.usernsFd(), attributes[0], attributes[1]);
            if (tree < 0) {
                throw new LaunchException(field + ".source: " + source + " is not reachable by the container's root and its "
                        + "filesystem cannot be idmapped; allow others to search the directories above it");
            }
            binds.put(index, keep(tree));
        } finally {
            Syscalls.close(opened);
        }
    }

    /** open_tree(OPEN_TREE_CLONE) of {@code fd} with the bind's flags (the same a child's bind sets, locked flags kept). */
    private static int plainClone(int fd, boolean recursive, long set, long clear) {
        int tree = MountCalls.openTree(fd, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
        try {
            MountCalls.mountSetattr(tree, 0, set, clear, -1);
            return tree;
        } catch (RuntimeException e) {
            Syscalls.close(tree);
            throw e;
        }
    }

    /**
     * open_tree(OPEN_TREE_CLONE) of {@code fd}, idmapped with the user namespace, then the bind's own flags
     * on the top mount; -1 when the filesystem cannot be idmapped (EINVAL, EPERM, EOPNOTSUPP).
     */
    private static int idmappedClone(int fd, boolean recursive, IntSupplier usernsFd, long set, long clear) {
        int tree = MountCalls.openTree(fd, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
        try {
            MountCalls.mountSetattr(tree, recursive ? AT_RECURSIVE : 0, MOUNT_ATTR_IDMAP, 0, usernsFd.getAsInt());
            if (set != 0 || clear != 0) {
                MountCalls.mountSetattr(tree, 0, set, clear, -1);
            }
            return tree;
        } catch (SyscallException e) {
            Syscalls.close(tree);
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.EPERM || e.errno() == Errno.EOPNOTSUPP) {
                return -1;
            }
            throw e;
        }
    }

    /**
     * A device node with the config's type, numbers, mode and owner (container ids mapped to host ids),
     * made on a private tmpfs that is never attached, and cloned alone for the child to bind.
     */
    private static int makeDevice(LinuxDevice device, String field, IdmapRule rule) {
        DeviceNode node = DeviceNode.of(device, field);
        long uid = rule.hostUid(node.uid(), field + ".uid");
        long gid = rule.hostGid(node.gid(), field + ".gid");
        String name = nodeName(device.path());
        int tmpfs = MountCalls.newDetachedFilesystem("tmpfs", MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID, "mode=0700", "size=4k");
        try {
            MountCalls.mknodat(tmpfs, name, node.mknodMode(), node.dev());
            MountCalls.fchmodat(tmpfs, name, node.mode()); // mknodat's mode went through the launcher's umask
            MountCalls.fchownat(tmpfs, name, uid, gid);
            return MountCalls.openTree(tmpfs, name, OPEN_TREE_CLONE);
        } catch (SyscallException e) {
            throw new LaunchException(field + ": the launcher cannot make " + device.path() + " (" + device.type() + " "
                    + node.major() + ":" + node.minor() + "): " + e.getMessage(), e);
        } finally {
            Syscalls.close(tmpfs);
        }
    }

    /** The node's name on its tmpfs: the last component of its path (what mountinfo shows), never a path. */
    private static String nodeName(String path) {
        Path name = Path.of(path).getFileName();
        return name == null || name.toString().equals("..") || name.toString().equals(".") ? "node" : name.toString();
    }

        private int keep(int fd) {
        fds.add(fd);
        return fd;
    }

    /** Closes the launcher's copies; the child holds its own since clone. */
    @Override
    public void close() {
        for (int fd : fds) {
            try {
                Syscalls.close(fd);
            } catch (SyscallException e) {
                // already closed: nothing else to release
            }
        }
        fds.clear();
    }
}
