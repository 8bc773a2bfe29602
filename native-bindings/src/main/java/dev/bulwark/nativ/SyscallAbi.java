package dev.bulwark.nativ;

import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A system-call ABI as a seccomp filter sees it: the {@code seccomp_data.arch} value the kernel
 * reports (an {@code AUDIT_ARCH_*} constant from {@code linux/audit.h}) and the syscall numbers of
 * that ABI. x32 shares {@code AUDIT_ARCH_X86_64} with x86-64 and is told apart only by
 * {@link #X32_SYSCALL_BIT} in the syscall number, which is why this is not simply {@link Arch}.
 */
public enum SyscallAbi {
    X86_64("x86_64", SyscallAbi.AUDIT_ARCH_X86_64),
    X86("i386", SyscallAbi.AUDIT_ARCH_I386),
    X32("x32", SyscallAbi.AUDIT_ARCH_X86_64),
    AARCH64("aarch64", SyscallAbi.AUDIT_ARCH_AARCH64);

    /** {@code EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE}. */
    public static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    /** {@code EM_386 | __AUDIT_ARCH_LE}. */
    public static final int AUDIT_ARCH_I386 = 0x40000003;
    /** {@code EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE}. */
    public static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;
    /** {@code __X32_SYSCALL_BIT}: set in every x32 syscall number. */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    private static final Map<SyscallAbi, Map<String, Integer>> TABLES = new ConcurrentHashMap<>();

    private final String resourceName;
    private final int auditArch;

    SyscallAbi(String resourceName, int auditArch) {
        this.resourceName = resourceName;
        this.auditArch = auditArch;
    }

    /** The {@code seccomp_data.arch} value of this ABI. */
    public int auditArch() {
        return auditArch;
    }

    /** Base name of the syscall-number resource ({@code syscalls/<name>.txt}). */
    public String resourceName() {
        return resourceName;
    }

    /** The ABI native to a CPU architecture. */
    public static SyscallAbi nativeTo(Arch arch) {
        return switch (arch) {
            case X86_64 -> X86_64;
            case AARCH64 -> AARCH64;
        };
    }

    /** Syscall name to number (x32 numbers include {@link #X32_SYSCALL_BIT}), in number order. */
    public Map<String, Integer> syscalls() {
        return TABLES.computeIfAbsent(this, abi -> SyscallNumbers.readTable(abi.resourceName));
    }

    public OptionalInt find(String name) {
        Integer number = syscalls().get(name);
        return number == null ? OptionalInt.empty() : OptionalInt.of(number);
    }
}
