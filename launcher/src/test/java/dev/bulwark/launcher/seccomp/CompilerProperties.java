package dev.bulwark.launcher.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.nativ.SyscallAbi;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The compiled filter, run by {@link BpfInterpreter}, must agree with {@link ReferenceSemantics}. */
class CompilerProperties {
    /** Names that exist on some ABIs only, share numbers across ABIs, or are common. */
    private static final List<String> NAMES = List.of("read", "write", "openat", "open", "close", "ioctl",
            "clone", "personality", "mmap", "mmap2", "arch_prctl", "newfstatat", "fstatat64", "socket",
            "socketcall", "renameat", "getrlimit", "futex", "kill", "rt_sigaction", "set_robust_list", "mseal");

    /** Values where 64-bit comparisons go wrong when done badly: word boundaries and sign bits. */
    private static final long[] INTERESTING = {0, 1, 2, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L,
            0x100000001L, 0xffffffff00000000L, Long.MAX_VALUE, Long.MIN_VALUE, -1L, -2L};

    private static final int FOREIGN_ARCH = 0x40000028; // AUDIT_ARCH_ARM

    @Property(tries = 400)
    void compiledFilterAgreesWithReference(@ForAll("policies") SeccompPolicy policy, @ForAll("calls") List<SeccompData> calls) {
        Assume.that(everyNameKnownSomewhere(policy));
        SeccompProgram program = SeccompCompiler.compile(policy);
        for (SeccompData call : calls) {
            assertEquals(hex(ReferenceSemantics.evaluate(policy, call)), hex(BpfInterpreter.run(program, call)),
                    () -> "call nr=" + call.nr() + " arch=" + hex(call.arch()) + " args=" + java.util.Arrays.toString(call.args())
                            + "\n" + program.disassemble());
        }
    }

    @Property(tries = 100)
    void manyRulesNeedLongJumpsAndStillAgree(@ForAll("bigPolicies") SeccompPolicy policy, @ForAll("calls") List<SeccompData> calls) {
        SeccompProgram program = SeccompCompiler.compile(policy);
        assertTrue(program.length() > Bpf.MAX_SHORT_JUMP, "program too short to need long jumps");
        for (SeccompData call : calls) {
            assertEquals(hex(ReferenceSemantics.evaluate(policy, call)), hex(BpfInterpreter.run(program, call)));
        }
    }

    /** On i386 and x32 only the low words count, as in libseccomp: high bits never change the answer. */
    @Property(tries = 300)
    void thirtyTwoBitAbisIgnoreHighWords(@ForAll("policies") SeccompPolicy policy, @ForAll("calls") List<SeccompData> calls,
                                         @ForAll long highBits) {
        Assume.that(everyNameKnownSomewhere(policy));
        SeccompProgram program = SeccompCompiler.compile(policy);
        for (SeccompData call : calls) {
            boolean i386 = call.arch() == SyscallAbi.AUDIT_ARCH_I386;
            boolean x32 = call.arch() == SyscallAbi.AUDIT_ARCH_X86_64 && Integer.compareUnsigned(call.nr(), SyscallAbi.X32_SYSCALL_BIT) >= 0;
            if (!i386 && !x32) {
                continue;
            }
            long[] raised = call.args().clone();
            for (int i = 0; i < raised.length; i++) {
                raised[i] = (raised[i] & 0xffffffffL) | (highBits << 32);
            }
            SeccompData variant = new SeccompData(call.nr(), call.arch(), 0, raised);
            assertEquals(hex(BpfInterpreter.run(program, call)), hex(BpfInterpreter.run(program, variant)));
        }
    }

    @Property(tries = 200, maxDiscardRatio = 50)
    void nameUnknownOnEveryAbiIsSkipped(@ForAll("policies") SeccompPolicy policy) {
        Assume.that(!everyNameKnownSomewhere(policy));
        SeccompCompiler.compile(policy); // as libseccomp: no error, the name matches nothing
    }

    private static boolean everyNameKnownSomewhere(SeccompPolicy policy) {
        return policy.rules().stream().flatMap(rule -> rule.names().stream())
                .allMatch(name -> policy.abis().stream().anyMatch(abi -> abi.find(name).isPresent()));
    }

    private static String hex(int value) {
        return String.format("0x%08x", value);
    }

    @Provide
    Arbitrary<SeccompPolicy> policies() {
        return policy(rule(Arbitraries.of(NAMES)).list().ofMaxSize(10));
    }

    /** Every x86-64 syscall with conditions: long chains and a deep search tree. */
    @Provide
    Arbitrary<SeccompPolicy> bigPolicies() {
        List<String> everything = new ArrayList<>(SyscallAbi.X86_64.syscalls().keySet());
        Arbitrary<List<SyscallAbi>> abis = Arbitraries.of(SyscallAbi.class).set().map(set -> {
            List<SyscallAbi> list = new ArrayList<>(List.of(SyscallAbi.X86_64));
            set.stream().filter(abi -> abi != SyscallAbi.X86_64).forEach(list::add);
            return list;
        });
        Arbitrary<SyscallRule> mostlyUnconditional = Combinators.combine(Arbitraries.of(everything), actions(),
                        comparisons().list().ofMaxSize(1).injectNull(0.7))
                .as((name, action, args) -> new SyscallRule("linux.seccomp.syscalls[?]", List.of(name), action,
                        args == null ? List.of() : args));
        return policy(abis, mostlyUnconditional.list().ofMinSize(300).ofMaxSize(400));
    }

    private Arbitrary<SeccompPolicy> policy(Arbitrary<List<SyscallRule>> rules) {
        return policy(Arbitraries.of(SyscallAbi.class).set().ofMinSize(1).map(ArrayList::new), rules);
    }

    private Arbitrary<SeccompPolicy> policy(Arbitrary<List<SyscallAbi>> abis, Arbitrary<List<SyscallRule>> rules) {
        return Combinators.combine(actions(), abis, rules)
                .as((defaultAction, abiList, ruleList) -> new SeccompPolicy(defaultAction, abiList, 0, ruleList, List.of()));
    }

    private Arbitrary<SyscallRule> rule(Arbitrary<String> names) {
        return Combinators.combine(names.list().ofMinSize(1).ofMaxSize(3), actions(), comparisons().list().ofMaxSize(3))
                .as((nameList, action, args) -> new SyscallRule("linux.seccomp.syscalls[?]", nameList, action, args));
    }

    private Arbitrary<SeccompAction> actions() {
        return Arbitraries.oneOf(
                Arbitraries.of(SeccompAction.Kind.ALLOW, SeccompAction.Kind.KILL_PROCESS, SeccompAction.Kind.KILL_THREAD,
                        SeccompAction.Kind.TRAP, SeccompAction.Kind.LOG).map(kind -> new SeccompAction(kind, 0)),
                Arbitraries.integers().between(0, SeccompAction.MAX_ERRNO).map(SeccompAction::errno),
                Arbitraries.integers().between(0, 3).map(data -> new SeccompAction(SeccompAction.Kind.TRACE, data)));
    }

    private Arbitrary<ArgComparison> comparisons() {
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.of(ArgComparison.Op.class), values(), values())
                .as(ArgComparison::new);
    }

    private Arbitrary<Long> values() {
        return Arbitraries.oneOf(Arbitraries.of(INTERESTING[0], INTERESTING[1], INTERESTING[2], INTERESTING[3],
                        INTERESTING[4], INTERESTING[5], INTERESTING[6], INTERESTING[7], INTERESTING[8], INTERESTING[9],
                        INTERESTING[10], INTERESTING[11], INTERESTING[12]),
                Arbitraries.longs());
    }

    @Provide
    Arbitrary<List<SeccompData>> calls() {
        return call().list().ofMinSize(1).ofMaxSize(40);
    }

    private Arbitrary<SeccompData> call() {
        Arbitrary<SyscallAbi> abi = Arbitraries.of(SyscallAbi.class);
        Arbitrary<long[]> args = values().array(long[].class).ofSize(6);
        Arbitrary<SeccompData> known = Combinators.combine(abi, Arbitraries.of(NAMES), args).as((a, name, argv) ->
                new SeccompData(a.find(name).orElse(a == SyscallAbi.X32 ? SyscallAbi.X32_SYSCALL_BIT | 999 : 999),
                        a.auditArch(), 0, argv));
        Arbitrary<SeccompData> anyNumber = Combinators.combine(
                Arbitraries.of(SyscallAbi.AUDIT_ARCH_X86_64, SyscallAbi.AUDIT_ARCH_I386, SyscallAbi.AUDIT_ARCH_AARCH64, FOREIGN_ARCH),
                Arbitraries.oneOf(Arbitraries.integers().between(0, 500),
                        Arbitraries.integers().between(0, 600).map(n -> n | SyscallAbi.X32_SYSCALL_BIT),
                        Arbitraries.integers()), args).as((arch, nr, argv) -> new SeccompData(nr, arch, 0, argv));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, known), net.jqwik.api.Tuple.of(1, anyNumber));
    }
}
