package dev.bulwark.launcher.seccomp;

import dev.bulwark.nativ.SyscallAbi;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The runtime-spec's {@code SCMP_ARCH_*} names. */
final class SeccompArchitectures {
    private SeccompArchitectures() {
    }

    private static final Map<String, SyscallAbi> SUPPORTED = Map.of(
            "SCMP_ARCH_X86_64", SyscallAbi.X86_64,
            "SCMP_ARCH_X86", SyscallAbi.X86,
            "SCMP_ARCH_X32", SyscallAbi.X32,
            "SCMP_ARCH_AARCH64", SyscallAbi.AARCH64);

    /** Valid in the runtime-spec, but Bulwark has no syscall table for them. */
    private static final Set<String> UNSUPPORTED = Set.of(
            "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
            "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
            "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
            "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB");

    static Optional<SyscallAbi> supported(String name) {
        return Optional.ofNullable(SUPPORTED.get(name));
    }

    static boolean knownButUnsupported(String name) {
        return UNSUPPORTED.contains(name);
    }

    /**
     * Whether libseccomp treats the ABI as 32-bit ({@code ARCH_SIZE_32}) and so compares only the
     * low word of an argument: i386, and x32 (whose pointers and longs are 32 bits wide).
     */
    static boolean hasThirtyTwoBitArguments(SyscallAbi abi) {
        return abi == SyscallAbi.X86 || abi == SyscallAbi.X32;
    }

    static String ociName(SyscallAbi abi) {
        return SUPPORTED.entrySet().stream().filter(e -> e.getValue() == abi).findFirst().orElseThrow().getKey();
    }
}
