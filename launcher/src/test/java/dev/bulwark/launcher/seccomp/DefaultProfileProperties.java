package dev.bulwark.launcher.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.LinuxSeccompArg;
import dev.bulwark.config.model.LinuxSyscall;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.SyscallAbi;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The default profile tests only arguments the kernel reads as 32-bit ints, so for any call to an
 * argument-filtered syscall the answer must not change when the high words of those arguments do.
 */
class DefaultProfileProperties {
    private static final LinuxSeccomp PROFILE = DefaultSeccompProfile.forContainer(Set.of(), Arch.X86_64);
    private static final SeccompProgram PROGRAM = SeccompCompiler.compile(SeccompPolicyReader.read(PROFILE, Arch.X86_64));
    private static final List<LinuxSyscall> FILTERED = PROFILE.syscalls().stream().filter(rule -> !rule.args().isEmpty()).toList();

    @Property(tries = 2000)
    void highWordsOfTestedArgumentsNeverMatter(@ForAll("filteredRules") LinuxSyscall rule, @ForAll("lowWords") long low,
                                               @ForAll long high, @ForAll long otherArgument) {
        String name = rule.names().get(0);
        int nr = SyscallAbi.X86_64.find(name).getAsInt();
        long[] plain = {otherArgument, otherArgument, otherArgument, otherArgument, otherArgument, otherArgument};
        long[] raised = plain.clone();
        for (LinuxSeccompArg arg : rule.args()) {
            plain[arg.index()] = low;
            raised[arg.index()] = (high << 32) | low;
        }
        int expected = BpfInterpreter.run(PROGRAM, SeccompData.of(SyscallAbi.AUDIT_ARCH_X86_64, nr, plain));
        assertEquals(expected, BpfInterpreter.run(PROGRAM, SeccompData.of(SyscallAbi.AUDIT_ARCH_X86_64, nr, raised)),
                name + " with 0x" + Long.toHexString(raised[rule.args().get(0).index()]));
    }

    @Provide
    Arbitrary<LinuxSyscall> filteredRules() {
        return Arbitraries.of(FILTERED);
    }

    /** The values the rules name (and neighbours), or any 32-bit word. */
    @Provide
    Arbitrary<Long> lowWords() {
        List<Long> named = FILTERED.stream().flatMap(rule -> rule.args().stream())
                .flatMap(arg -> java.util.stream.Stream.of(arg.valueTwo(), arg.valueTwo() + 1, arg.value() & 0xffffffffL))
                .map(value -> value & 0xffffffffL).distinct().toList();
        return Arbitraries.oneOf(Arbitraries.of(named), Arbitraries.longs().between(0, 0xffffffffL));
    }
}
