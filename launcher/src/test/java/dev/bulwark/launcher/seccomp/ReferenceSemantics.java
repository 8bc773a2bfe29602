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
            if (named && rule.args().stream().allMatch(comparison -> holds(comparison, call.args()[comparison.index()]))) {
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
