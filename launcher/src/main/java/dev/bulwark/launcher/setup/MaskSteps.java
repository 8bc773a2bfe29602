package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import dev.bulwark.launcher.plan.HostPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where paths are masked and made read-only ({@code linux.maskedPaths}, {@code linux.readonlyPaths}).
 *
 * <p>Every target is checked to be what it claims, without a window between check and mount: it is
 * opened with openat2(O_PATH, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) (a symlink anywhere on the
 * path fails with ELOOP; a directory mask opens with O_DIRECTORY, so a file swapped in fails with
 * ENOTDIR), and the mask is attached to that very fd with move_mount. The /dev/null that covers file
 * masks is cloned with open_tree from the host's /dev/null before pivot_root, so a container's own
 * /dev/null (a symlink, or another device) is never what gets bound (runc CVE-2025-31133).
 * Directories are masked with a fresh read-only empty tmpfs (fsopen/fsmount). Read-only paths are
 * cloned with open_tree, made read-only with mount_setattr, and moved back onto themselves.
 */
final class MaskSteps {
    private static final long RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04;
    private static final long OPEN_TREE_CLONE = 1, AT_EMPTY_PATH = 0x1000, AT_RECURSIVE = 0x8000;
    private static final long MOVE_MOUNT_F_EMPTY_PATH = 0x04, MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    private static final long FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    private static final long MOUNT_ATTR_RDONLY = 1, MOUNT_ATTR_NOSUID = 2, MOUNT_ATTR_NODEV = 4, MOUNT_ATTR_NOEXEC = 8;
    private static final long LOCKED_DOWN = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

    private final ChildSteps steps;
    private final List<String> maskedFiles = new ArrayList<>();
    private final List<String> maskedDirectories = new ArrayList<>();
    /** Paths in the image (not /proc or /sys): file or directory is only known in the child, so both masks are compiled. */
    private final List<String> maskedEither = new ArrayList<>();
    private final List<String> readOnly = new ArrayList<>();
    private final List<Entry> nullClones = new ArrayList<>();
    /** The config's lists, to name each step's field by its index. */
    private final List<String> maskedField;
    private final List<String> readOnlyField;

    MaskSteps(ChildSteps steps, List<String> masked, List<String> readOnlyPaths) {
        this.steps = steps;
        this.maskedField = List.copyOf(masked);
        this.readOnlyField = List.copyOf(readOnlyPaths);
        for (int i = 0; i < masked.size(); i++) {
            String path = masked.get(i);
            Path host = HostPaths.of(path, "linux.maskedPaths[" + i + "]");
            if (!path.startsWith("/proc/") && !path.startsWith("/sys/")) {
                maskedEither.add(path);
                continue;
            }
            Boolean directory = hostDirectory(host); // one stat answers both: missing, and directory or not
            if (directory == null) {
                continue; // predictably missing (see predictablyMissing)
            }
            (directory ? maskedDirectories : maskedFiles).add(path);
        }
        for (int i = 0; i < readOnlyPaths.size(); i++) {
            String path = readOnlyPaths.get(i);
            if (!predictablyMissing(path, HostPaths.of(path, "linux.readonlyPaths[" + i + "]"))) {
                readOnly.add(path);
            }
        }
    }

    /** /proc and /sys in the container show this same kernel: what the host lacks there, the container lacks too. */
    private static boolean predictablyMissing(String path, Path host) {
        return (path.startsWith("/proc/") || path.startsWith("/sys/")) && hostDirectory(host) == null;
    }

    /** Whether the host's {@code path} (symlinks followed, as Files.exists and isDirectory do) is a directory; null when missing. */
    private static Boolean hostDirectory(Path host) {
        try {
            return Files.readAttributes(host, java.nio.file.attribute.BasicFileAttributes.class).isDirectory();
        } catch (java.io.IOException e) {
            return null; // Files.exists said false for any failure too
        }
    }

    /** Before pivot_root: one detached clone of the host's /dev/null per masked file. */
    void cloneHostDevNull() {
        List<String> fileMasks = new ArrayList<>(maskedFiles);
        fileMasks.addAll(maskedEither);
        for (String path : fileMasks) {
            masked(path);
            nullClones.add(steps.step("clone the host's /dev/null for " + path,
                    "the mask is the real null device, not whatever the container's /dev/null is",
                    "open_tree", OpenFlags.AT_FDCWD, steps.string("/dev/null"), OPEN_TREE_CLONE | OpenFlags.O_CLOEXEC));
        }
    }

    /** After pivot_root and the config's mounts: masks, then read-only paths. */
    void apply() {
        for (int i = 0; i < maskedFiles.size(); i++) {
            String path = maskedFiles.get(i);
            masked(path);
            Entry target = openTarget(path, 0);
            Entry clone = nullClones.get(i);
            moveMount("mask " + path + " with /dev/null", clone, target);
            close(path, clone);
            close(path, target);
        }
        for (String path : maskedDirectories) {
            masked(path);
            Entry target = openTarget(path, OpenFlags.O_DIRECTORY);
            maskDirectory(path, target);
            close(path, target);
        }
        for (int i = 0; i < maskedEither.size(); i++) {
            // A directory opens with O_DIRECTORY and gets the tmpfs; a file fails that open (ENOTDIR), and its
            // second open below gets /dev/null. On a directory (masked just above) that second move fails with
            // EINVAL, the kernel's answer to a file mount on a directory, and only to that for a target that
            // openat2 just opened without symlinks.
            String path = maskedEither.get(i);
            masked(path);
            Entry directory = openTarget(path, OpenFlags.O_DIRECTORY).tolerate(Errno.ENOTDIR);
            maskDirectory(path, directory);
            close(path, directory);
            Entry file = openTarget(path, 0);
            Entry clone = nullClones.get(maskedFiles.size() + i);
            moveMount("mask " + path + " with /dev/null (unless a directory)", clone, file).tolerate(Errno.EINVAL);
            close(path, clone);
            close(path, file);
        }
        for (String path : readOnly) {
            steps.field("linux.readonlyPaths[" + readOnlyField.indexOf(path) + "]");
            Entry target = openTarget(path, 0);
            Entry clone = tolerateMissing(target, steps.step("clone " + path, "a copy of the mount to make read-only",
                    "open_tree", 0, steps.string(""), OPEN_TREE_CLONE | AT_EMPTY_PATH | AT_RECURSIVE | OpenFlags.O_CLOEXEC)
                    .argumentFrom(0, target));
            long attr = steps.memory().allocate(32); // struct mount_attr: attr_set, attr_clr, propagation, userns_fd
            NativeMemory.putLong(attr, LOCKED_DOWN);
            tolerateMissing(target, steps.step("make " + path + " read-only",
                    "the container may read these kernel settings, never change them",
                    "mount_setattr", 0, steps.string(""), AT_EMPTY_PATH | AT_RECURSIVE, attr, 32).argumentFrom(0, clone));
            moveMount("put read-only " + path + " in place", clone, target);
            close(path, clone);
            close(path, target);
        }
    }

    /** An empty read-only tmpfs on the directory {@code target}. */
    private void masked(String path) {
        steps.field("linux.maskedPaths[" + maskedField.indexOf(path) + "]");
    }

    private void maskDirectory(String path, Entry target) {
        Entry context = steps.step("mask " + path + ": new tmpfs", "an empty filesystem hides the directory",
                "fsopen", steps.string("tmpfs"), FSOPEN_CLOEXEC);
        steps.step("mask " + path + ": mode 0555", "nothing can be created in it",
                "fsconfig", 0, FSCONFIG_SET_STRING, steps.string("mode"), steps.string("0555"), 0).argumentFrom(0, context);
        steps.step("mask " + path + ": create the tmpfs", "the superblock exists now", "fsconfig", 0, FSCONFIG_CMD_CREATE, 0, 0, 0)
                .argumentFrom(0, context);
        Entry mount = steps.step("mask " + path + ": read-only mount", "ro,nosuid,nodev,noexec",
                "fsmount", 0, FSMOUNT_CLOEXEC, LOCKED_DOWN).argumentFrom(0, context);
        moveMount("mask " + path + " with an empty read-only tmpfs", mount, target);
        close(path, mount);
        close(path, context);
    }

    /** openat2 with no symlinks anywhere on the path: the target is the object the config names. */
    private Entry openTarget(String path, long extraFlags) {
        long how = steps.memory().allocate(24); // struct open_how: flags, mode, resolve
        NativeMemory.putLong(how, OpenFlags.O_PATH | OpenFlags.O_CLOEXEC | extraFlags);
        NativeMemory.putLong(how + 16, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        return steps.step("check " + path, "the target must be the real " + (extraFlags != 0 ? "directory" : "path")
                        + ", reached without following any symlink", "openat2", OpenFlags.AT_FDCWD, steps.string(path), how, 24)
                .tolerate(Errno.ENOENT); // a path this container does not have needs no mask
    }

    private Entry moveMount(String name, Entry from, Entry target) {
        return tolerateMissing(target, steps.step(name, "attached to the checked target fd, not to a path looked up again",
                "move_mount", 0, steps.string(""), 0, steps.string(""), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
                .argumentFrom(0, from).argumentFrom(2, target));
    }

    private void close(String path, Entry fd) {
        steps.step("close an fd of " + path, "done with it", "close", 0).argumentFrom(0, fd).tolerate(Errno.EBADF);
    }

    /** When the target was missing (ENOENT tolerated), the steps using its fd see EBADF: that is fine too. */
    private static Entry tolerateMissing(Entry target, Entry entry) {
        return entry.tolerate(Errno.EBADF);
    }
}
