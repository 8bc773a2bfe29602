package dev.bulwark.launcher.seccomp;

import dev.bulwark.nativ.SyscallAbi;
import java.util.List;

/**
 * A validated seccomp policy, the compiler's input. Its meaning, which the compiler implements
 * and the tests check independently:
 * <ol>
 *   <li>a call from an ABI not in {@code abis} gets {@link #BAD_ARCH_ACTION};</li>
 *   <li>otherwise the rules are tried in order and the first rule that names the syscall and
 *       whose comparisons all hold decides. Unlike runc, which drops rules whose action equals the
 *       default because libseccomp refuses them, such a rule takes effect when it matches first:
 *       that is how a profile carves an exception out of a later ALLOW (ioctl TIOCSTI);</li>
 *   <li>no rule matches: {@code defaultAction}.</li>
 * </ol>
 * Argument comparisons are unsigned and, as in libseccomp (and so runc and crun), 64 bits wide on
 * 64-bit ABIs and 32 bits wide (argument, value and mask truncated) on i386 and x32.
 */
public record SeccompPolicy(SeccompAction defaultAction, List<SyscallAbi> abis, int flags,
                            List<SyscallRule> rules, List<String> warnings) {
    /**
     * What a syscall from an ABI the policy does not list gets. libseccomp defaults this to
     * SCMP_ACT_KILL (thread), which runc and crun keep; we kill the whole process, because a
     * multi-threaded process that loses one thread is left in an undefined state, and a process
     * that switches ABI to dodge the filter deserves no second chance.
     */
    public static final SeccompAction BAD_ARCH_ACTION = SeccompAction.KILL_PROCESS;

    public SeccompPolicy {
        abis = List.copyOf(abis);
        rules = List.copyOf(rules);
        warnings = List.copyOf(warnings);
        if (abis.isEmpty()) {
            throw new IllegalArgumentException("a policy needs at least one ABI");
        }
    }
}
