package dev.bulwark.launcher.seccomp;

import dev.bulwark.nativ.SyscallAbi;
import java.util.Map;
import java.util.Optional;

/**
 * What a policy means, written straight from the runtime-spec and libseccomp semantics (see
 * {@link SeccompPolicy}), sharing no code with the compiler.
 */
final class ReferenceSemantics {
    private ReferenceSemantics() {
    }

    static int evaluate(SeccompPolicy policy, SeccompData call) {
        Optional<SyscallAbi> abi = abiOf(call);
        if (abi.isEmpty() || !policy.abis().contains(abi.get())) {
            return SeccompPolicy.BAD_ARCH_ACTION.returnValue();
        }
        Map<String, Integer> table = abi.get().syscalls();
        for (SyscallRule rule : policy.rules()) {
            boolean named = rule.names().stream().anyMatch(name -> table.containsKey(name) && table.get(name) == call.nr());
            boolean thirtyTwoBit = abi.get() == SyscallAbi.X86 || abi.get() == SyscallAbi.X32;
            if (named && rule.args().stream().allMatch(comparison -> thirtyTwoBit
                    ? holds32(comparison, call.args()[comparison.index()])
                    : holds(comparison, call.args()[comparison.index()]))) {
                return rule.action().returnValue();
            }
        }
        return policy.defaultAction().returnValue();
    }

    private static Optional<SyscallAbi> abiOf(SeccompData call) {
        if (call.arch() == SyscallAbi.AUDIT_ARCH_X86_64) {
            return Optional.of(Integer.compareUnsigned(call.nr(), SyscallAbi.X32_SYSCALL_BIT) >= 0 ? SyscallAbi.X32 : SyscallAbi.X86_64);
        }
        if (call.arch() == SyscallAbi.AUDIT_ARCH_I386) {
            return Optional.of(SyscallAbi.X86);
        }
        if (call.arch() == SyscallAbi.AUDIT_ARCH_AARCH64) {
            return Optional.of(SyscallAbi.AARCH64);
        }
        return Optional.empty();
    }

    /** libseccomp on a 32-bit ABI: argument, value and mask are all cut to their low 32 bits. */
    static boolean holds32(ArgComparison comparison, long arg) {
        ArgComparison truncated = new ArgComparison(comparison.index(), comparison.op(), comparison.value() & 0xffffffffL,
                comparison.valueTwo() & 0xffffffffL);
        return holds(truncated, arg & 0xffffffffL);
    }

    static boolean holds(ArgComparison comparison, long arg) {
        long value = comparison.value();
        return switch (comparison.op()) {
            case EQ -> arg == value;
            case NE -> arg != value;
            case LT -> Long.compareUnsigned(arg, value) < 0;
            case LE -> Long.compareUnsigned(arg, value) <= 0;
            case GT -> Long.compareUnsigned(arg, value) > 0;
            case GE -> Long.compareUnsigned(arg, value) >= 0;
            case MASKED_EQ -> (arg & value) == comparison.valueTwo();
        };
    }
}
