package dev.bulwark.nativ.constants;

/** clone(2) and unshare(2) flags (include/uapi/linux/sched.h). */
public final class CloneFlags {
    public static final long CLONE_NEWTIME = 0x00000080L;
    public static final long CLONE_VM = 0x00000100L;
    public static final long CLONE_FS = 0x00000200L;
    public static final long CLONE_FILES = 0x00000400L;
    public static final long CLONE_SIGHAND = 0x00000800L;
    public static final long CLONE_PIDFD = 0x00001000L;
    public static final long CLONE_VFORK = 0x00004000L;
    public static final long CLONE_PARENT = 0x00008000L;
    public static final long CLONE_NEWNS = 0x00020000L;
    public static final long CLONE_NEWCGROUP = 0x02000000L;
    public static final long CLONE_NEWUTS = 0x04000000L;
    public static final long CLONE_NEWIPC = 0x08000000L;
    public static final long CLONE_NEWUSER = 0x10000000L;
    public static final long CLONE_NEWPID = 0x20000000L;
    public static final long CLONE_NEWNET = 0x40000000L;

    /** ioctl on a namespace file (linux/nsfs.h, _IO(0xb7, 3)): its type as a CLONE_NEW* flag. */
    public static final long NS_GET_NSTYPE = 0xb703L;
    /** ioctl on a namespace fd: a new fd of the user namespace that owns it. */
    public static final long NS_GET_USERNS = 0xb701L;

    private CloneFlags() {
    }
}
