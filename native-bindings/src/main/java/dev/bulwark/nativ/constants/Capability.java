package dev.bulwark.nativ.constants;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Capability numbers (include/uapi/linux/capability.h). The running kernel's last one is in /proc/sys/kernel/cap_last_cap. */
public final class Capability {
    private static final String[] NAMES = {
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
            "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE",
    };
    private static final Map<String, Integer> BY_NAME = new TreeMap<>();

    static {
        for (int i = 0; i < NAMES.length; i++) {
            BY_NAME.put(NAMES[i], i);
        }
    }

    /** linux/capability.h _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
    public static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    private Capability() {
    }

    public static Optional<Integer> number(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    public static String name(int number) {
        return number >= 0 && number < NAMES.length ? NAMES[number] : "CAP_" + number;
    }

    /** The highest capability this build knows a name for. */
    public static int lastKnown() {
        return NAMES.length - 1;
    }
}
