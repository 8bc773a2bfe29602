package dev.bulwark.nativ;

import dev.bulwark.nativ.machinecode.ExecutableCode;
import dev.bulwark.nativ.machinecode.X86_64Routines;

/**
 * Raw system calls from the parent (the JVM), through a machine-code thunk: the kernel's result comes
 * back as is (-errno on failure), so no libc errno is involved. At most five arguments, which is all
 * the parent-side calls need; the child's calls go through the syscall table instead.
 */
public final class Kernel {
    private static final class Holder {
        static final ExecutableCode THUNK = load();

        private static ExecutableCode load() {
            if (Arch.requireHost() != Arch.X86_64) {
                throw new UnsupportedOperationException(
                        "raw syscalls are implemented for x86-64 only; this host is " + Arch.requireHost());
            }
            return ExecutableCode.load(X86_64Routines.syscallThunk(), 6);
        }
    }

    private Kernel() {
    }

    /** The kernel's raw return value: non-negative on success, -errno on failure. */
    public static long raw(int number, long a0, long a1, long a2, long a3, long a4) {
        return Holder.THUNK.call(number, a0, a1, a2, a3, a4);
    }

    /** True when {@code result} is in the kernel's error range -4095..-1. */
    public static boolean isError(long result) {
        return result < 0 && result >= -4095;
    }
}
