package dev.bulwark.nativ;

/**
 * Constants of the kernel's seccomp interface ({@code linux/seccomp.h}, {@code linux/filter.h}).
 * Values only: which of them a container gets is the launcher's business.
 */
public final class SeccompAbi {
    private SeccompAbi() {
    }

    /** {@code seccomp(2)} operation that installs a classic-BPF filter. */
    public static final int SECCOMP_SET_MODE_FILTER = 1;

    // Filter return values: the action lives in the top 16 bits, its data in the low 16.
    public static final int SECCOMP_RET_KILL_PROCESS = 0x80000000;
    public static final int SECCOMP_RET_KILL_THREAD = 0x00000000;
    public static final int SECCOMP_RET_TRAP = 0x00030000;
    public static final int SECCOMP_RET_ERRNO = 0x00050000;
    public static final int SECCOMP_RET_USER_NOTIF = 0x7fc00000;
    public static final int SECCOMP_RET_TRACE = 0x7ff00000;
    public static final int SECCOMP_RET_LOG = 0x7ffc0000;
    public static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    public static final int SECCOMP_RET_ACTION_FULL = 0xffff0000;
    public static final int SECCOMP_RET_DATA = 0x0000ffff;

    // seccomp(SECCOMP_SET_MODE_FILTER) flags.
    public static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    public static final int SECCOMP_FILTER_FLAG_LOG = 1 << 1;
    public static final int SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2;
    public static final int SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;
    public static final int SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1 << 4;
    public static final int SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;

    // struct seccomp_data layout (all supported ABIs are little-endian).
    public static final int SECCOMP_DATA_NR_OFFSET = 0;
    public static final int SECCOMP_DATA_ARCH_OFFSET = 4;
    public static final int SECCOMP_DATA_IP_OFFSET = 8;
    public static final int SECCOMP_DATA_ARGS_OFFSET = 16;
    public static final int SECCOMP_DATA_SIZE = 64;

    /** {@code BPF_MAXINSNS}: the kernel refuses longer classic-BPF programs. */
    public static final int BPF_MAXINSNS = 4096;
}
