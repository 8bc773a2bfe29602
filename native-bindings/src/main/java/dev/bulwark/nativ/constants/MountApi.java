package dev.bulwark.nativ.constants;

/**
 * Constants of the fd-based mount API and of openat2 (include/uapi/linux/mount.h, openat2.h,
 * fcntl.h): open_tree, move_mount, fsopen/fsconfig/fsmount, mount_setattr and RESOLVE_* flags.
 */
public final class MountApi {
    // openat2 struct open_how.resolve
    public static final long RESOLVE_NO_XDEV = 0x01;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final long RESOLVE_IN_ROOT = 0x10;
    /** sizeof(struct open_how): u64 flags, u64 mode, u64 resolve. */
    public static final int OPEN_HOW_SIZE = 24;

    public static final long AT_EMPTY_PATH = 0x1000;
    public static final long AT_RECURSIVE = 0x8000;

    public static final long OPEN_TREE_CLONE = 1;

    public static final long MOVE_MOUNT_F_EMPTY_PATH = 0x04;
    public static final long MOVE_MOUNT_T_EMPTY_PATH = 0x40;

    public static final long FSOPEN_CLOEXEC = 1;
    public static final long FSMOUNT_CLOEXEC = 1;
    public static final long FSCONFIG_SET_FLAG = 0;
    public static final long FSCONFIG_SET_STRING = 1;
    public static final long FSCONFIG_CMD_CREATE = 6;

    // struct mount_attr attr_set/attr_clr, and fsmount's attr_flags
    public static final long MOUNT_ATTR_RDONLY = 0x1;
    public static final long MOUNT_ATTR_NOSUID = 0x2;
    public static final long MOUNT_ATTR_NODEV = 0x4;
    public static final long MOUNT_ATTR_NOEXEC = 0x8;
    /** The atime mode is a 3-bit field, not a flag: changing it needs the whole field in attr_clr. */
    public static final long MOUNT_ATTR__ATIME = 0x70;
    public static final long MOUNT_ATTR_RELATIME = 0x00;
    public static final long MOUNT_ATTR_NOATIME = 0x10;
    public static final long MOUNT_ATTR_STRICTATIME = 0x20;
    public static final long MOUNT_ATTR_NODIRATIME = 0x80;
    public static final long MOUNT_ATTR_NOSYMFOLLOW = 0x200000;
    /** Idmap the mount with the user namespace in struct mount_attr.userns_fd (detached mounts only). */
    public static final long MOUNT_ATTR_IDMAP = 0x100000;
    /** sizeof(struct mount_attr): u64 attr_set, attr_clr, propagation, userns_fd. */
    public static final int MOUNT_ATTR_SIZE = 32;

    private MountApi() {
    }
}
