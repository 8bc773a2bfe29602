package dev.bulwark.nativ;

import dev.bulwark.nativ.constants.MountApi;
import dev.bulwark.nativ.constants.OpenFlags;

import java.util.Arrays;

/**
 * The fd-based mount API called from the launcher itself (the child's calls go through its syscall
 * table): openat2, open_tree, mount_setattr, fsopen/fsconfig/fsmount, and mknodat/fchownat for device
 * nodes made on a detached tmpfs. Thin: the caller chooses flags; every failure throws
 * {@link SyscallException}. Every fd returned is O_CLOEXEC.
 */
public final class MountCalls {
    private static final SyscallNumbers NR = SyscallNumbers.host();
    private static final int SYS_OPENAT2 = NR.require("openat2");
    private static final int SYS_OPEN_TREE = NR.require("open_tree");
    private static final int SYS_MOUNT_SETATTR = NR.require("mount_setattr");
    private static final int SYS_FSOPEN = NR.require("fsopen");
    private static final int SYS_FSCONFIG = NR.require("fsconfig");
    private static final int SYS_FSMOUNT = NR.require("fsmount");
    private static final int SYS_MKNODAT = NR.require("mknodat");
    private static final int SYS_FCHOWNAT = NR.require("fchownat");
    private static final int SYS_FCHMODAT = NR.require("fchmodat");
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;

    private MountCalls() {
    }

    /** An O_PATH fd of {@code path} (absolute), opened with {@code resolve} (RESOLVE_* flags). */
    public static int openPath(String path, long extraFlags, long resolve) {
        return openat2(OpenFlags.AT_FDCWD, path, OpenFlags.O_PATH | extraFlags, resolve);
    }

    /** openat2(dirfd, name, {flags | O_CLOEXEC, 0, resolve}): e.g. a directory of a root, read with RESOLVE_IN_ROOT. */
    public static int openat2(int dirfd, String name, long flags, long resolve) {
        try (NativeMemory memory = new NativeMemory()) {
            long how = memory.allocate(MountApi.OPEN_HOW_SIZE);
            NativeMemory.putLong(how, OpenFlags.O_CLOEXEC | flags);
            NativeMemory.putLong(how + 16, resolve);
            return (int) check(Kernel.raw(SYS_OPENAT2, dirfd, memory.cString(name), how, MountApi.OPEN_HOW_SIZE, 0),
                    "openat2", dirfd == OpenFlags.AT_FDCWD ? "AT_FDCWD" : Integer.toString(dirfd), q(name), "0x" + Long.toHexString(flags), "resolve 0x" + Long.toHexString(resolve));
        }
    }

    /** open_tree(dirfd, name, flags): with OPEN_TREE_CLONE a detached copy of the mount (tree with AT_RECURSIVE). */
    public static int openTree(int dirfd, String name, long flags) {
        try (NativeMemory memory = new NativeMemory()) {
            return (int) check(Kernel.raw(SYS_OPEN_TREE, dirfd, memory.cString(name), flags | OpenFlags.O_CLOEXEC, 0, 0),
                    "open_tree", dirfd, q(name), "0x" + Long.toHexString(flags));
        }
    }

    /** mount_setattr(fd, "", AT_EMPTY_PATH | extraFlags, {set, clear, 0, usernsFd}). */
    public static void mountSetattr(int fd, long extraFlags, long set, long clear, int usernsFd) {
        try (NativeMemory memory = new NativeMemory()) {
            long attr = memory.allocate(MountApi.MOUNT_ATTR_SIZE);
            NativeMemory.putLong(attr, set);
            NativeMemory.putLong(attr + 8, clear);
            NativeMemory.putLong(attr + 24, usernsFd < 0 ? 0 : usernsFd);
            check(Kernel.raw(SYS_MOUNT_SETATTR, fd, memory.cString(""), MountApi.AT_EMPTY_PATH | extraFlags, attr,
                    MountApi.MOUNT_ATTR_SIZE), "mount_setattr", fd, "set 0x" + Long.toHexString(set),
                    "clear 0x" + Long.toHexString(clear), "userns fd " + usernsFd);
        }
    }

    /** A new detached filesystem of {@code type} with {@code options} ("key=value" or a flag): fsopen, fsconfig, fsmount. */
    public static int newDetachedFilesystem(String type, long mountAttributes, String... options) {
        int context = (int) check(raw1(SYS_FSOPEN, type, MountApi.FSOPEN_CLOEXEC), "fsopen", q(type));
        try (NativeMemory memory = new NativeMemory()) {
            for (String option : options) {
                int equals = option.indexOf('=');
                long result = equals < 0
                        ? Kernel.raw(SYS_FSCONFIG, context, MountApi.FSCONFIG_SET_FLAG, memory.cString(option), 0, 0)
                        : Kernel.raw(SYS_FSCONFIG, context, MountApi.FSCONFIG_SET_STRING,
                        memory.cString(option.substring(0, equals)), memory.cString(option.substring(equals + 1)), 0);
                check(result, "fsconfig", q(type), q(option));
            }
            check(Kernel.raw(SYS_FSCONFIG, context, MountApi.FSCONFIG_CMD_CREATE, 0, 0, 0), "fsconfig", q(type), "create");
            return (int) check(Kernel.raw(SYS_FSMOUNT, context, MountApi.FSMOUNT_CLOEXEC, mountAttributes, 0, 0),
                    "fsmount", q(type), "0x" + Long.toHexString(mountAttributes));
        } finally {
            Syscalls.close(context);
        }
    }

    /** mknodat(dirfd, name, mode, dev): {@code mode} carries the file type (S_IFCHR, S_IFBLK, S_IFIFO). */
    public static void mknodat(int dirfd, String name, int mode, long dev) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_MKNODAT, dirfd, memory.cString(name), mode, dev, 0), "mknodat", dirfd, q(name),
                    "0" + Integer.toOctalString(mode), dev);
        }
    }

    /** fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW). */
    public static void fchownat(int dirfd, String name, long uid, long gid) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_FCHOWNAT, dirfd, memory.cString(name), uid, gid, AT_SYMLINK_NOFOLLOW), "fchownat", dirfd,
                    q(name), uid, gid);
        }
    }

    /** fchmodat(dirfd, name, mode): the exact mode, whatever the umask did to mknodat's. */
    public static void fchmodat(int dirfd, String name, int mode) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_FCHMODAT, dirfd, memory.cString(name), mode, 0, 0), "fchmodat", dirfd, q(name),
                    "0" + Integer.toOctalString(mode));
        }
    }

    /** The dev_t of {@code major}:{@code minor}, as glibc's makedev encodes it. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffL) << 8) | (minor & 0xffL) | ((minor & ~0xffL) << 12) | ((major & ~0xfffL) << 32);
    }

    private static long raw1(int number, String text, long flags) {
        try (NativeMemory memory = new NativeMemory()) {
            return Kernel.raw(number, memory.cString(text), flags, 0, 0, 0);
        }
    }

    private static String q(String text) {
        return '"' + text + '"';
    }

    private static long check(long result, String operation, Object... arguments) {
        if (Kernel.isError(result)) {
            throw new SyscallException(operation, Arrays.stream(arguments).map(String::valueOf).toList(), (int) -result);
        }
        return result;
    }
}
