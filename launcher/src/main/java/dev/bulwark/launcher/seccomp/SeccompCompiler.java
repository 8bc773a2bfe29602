package dev.bulwark.launcher.seccomp;

import dev.bulwark.launcher.seccomp.BackwardProgramBuilder.Label;
import dev.bulwark.nativ.SeccompAbi;
import dev.bulwark.nativ.SyscallAbi;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles a {@link SeccompPolicy} to classic BPF with the layout libseccomp produces:
 * <pre>
 *   ld arch; one jeq per listed AUDIT_ARCH, else BAD_ARCH_ACTION
 *   per arch: ld nr; (x86-64: nr &gt;= X32_SYSCALL_BIT goes to the x32 rules or BAD_ARCH_ACTION)
 *             binary search over the syscall numbers that have rules, else the default action
 *   per syscall: its rules in order, each an AND of argument tests, then the default action
 * </pre>
 * Argument tests compare 64 bits on 64-bit ABIs and the low 32 bits on 32-bit ones (i386, x32),
 * as libseccomp does (see {@link ArgumentTests}).
 * The program is built back to front, so all jump distances are known when a jump is emitted and
 * jumps beyond 255 instructions get a {@code JA} trampoline.
 */
public final class SeccompCompiler {
    /** Ranges at most this long are searched linearly; a jge split costs as much as a jeq. */
    private static final int LINEAR_SEARCH_MAX = 4;

    private final SeccompPolicy policy;
    private final BackwardProgramBuilder builder = new BackwardProgramBuilder();
    private final int defaultReturn;
    private final int badArchReturn = SeccompPolicy.BAD_ARCH_ACTION.returnValue();

    private SeccompCompiler(SeccompPolicy policy) {
        this.policy = policy;
        this.defaultReturn = policy.defaultAction().returnValue();
    }

    /**
     * Compiles {@code policy}. Throws {@link InvalidSeccompConfigException} for a syscall name
     * that none of the policy's ABIs knows (names only some ABIs know are skipped on the others,
     * as runc does) and for a program longer than the kernel accepts.
     */
    public static SeccompProgram compile(SeccompPolicy policy) {
        return new SeccompCompiler(policy).compile();
    }

    private SeccompProgram compile() {
        Map<SyscallAbi, TreeMap<Integer, List<SyscallRule>>> rulesByAbi = resolveRules();

        // x32 shares x86-64's AUDIT_ARCH and so, when both are listed, its block.
        List<SyscallAbi> blocks = policy.abis().stream()
                .filter(abi -> !(abi == SyscallAbi.X32 && policy.abis().contains(SyscallAbi.X86_64)))
                .toList();
        Label[] blockStarts = new Label[blocks.size()];
        for (int i = blocks.size() - 1; i >= 0; i--) {
            blockStarts[i] = emitArchBlock(blocks.get(i), rulesByAbi);
        }
        Label next = builder.ret(badArchReturn);
        for (int i = blocks.size() - 1; i >= 0; i--) {
            next = builder.jump(Bpf.JEQ, blocks.get(i).auditArch(), blockStarts[i], next);
        }
        builder.load(SeccompAbi.SECCOMP_DATA_ARCH_OFFSET, next);

        List<BpfInstruction> instructions = builder.build();
        if (instructions.size() > SeccompAbi.BPF_MAXINSNS) {
            throw new InvalidSeccompConfigException("linux.seccomp", "the compiled filter has " + instructions.size()
                    + " instructions, more than the kernel's limit of " + SeccompAbi.BPF_MAXINSNS);
        }
        return new SeccompProgram(instructions, policy.flags(), policy.warnings());
    }

    /** For each ABI, syscall number to the rules naming it, in policy order. */
    private Map<SyscallAbi, TreeMap<Integer, List<SyscallRule>>> resolveRules() {
        Map<SyscallAbi, TreeMap<Integer, List<SyscallRule>>> byAbi = new LinkedHashMap<>();
        for (SyscallAbi abi : policy.abis()) {
            byAbi.put(abi, new TreeMap<>());
        }
        for (SyscallRule rule : policy.rules()) {
            for (int n = 0; n < rule.names().size(); n++) {
                String name = rule.names().get(n);
                for (SyscallAbi abi : policy.abis()) {
                    OptionalInt number = abi.find(name);
                    if (number.isEmpty()) {
                        continue;
                    }
                    List<SyscallRule> rules = byAbi.get(abi).computeIfAbsent(number.getAsInt(), k -> new ArrayList<>());
                    if (!rules.contains(rule)) {
                        rules.add(rule);
                    }
                }
                // A name no listed ABI knows (recv and send on x86-64, Podman's pciconfig_*) matches nothing:
                // skipped, as libseccomp and so runc and crun do. A rule left with no known name matches nothing.
            }
        }
        return byAbi;
    }

    private Label emitArchBlock(SyscallAbi abi, Map<SyscallAbi, TreeMap<Integer, List<SyscallRule>>> rulesByAbi) {
        if (abi.auditArch() != SyscallAbi.AUDIT_ARCH_X86_64) {
            return builder.load(SeccompAbi.SECCOMP_DATA_NR_OFFSET, emitSyscallDispatch(abi, rulesByAbi.get(abi)));
        }
        // x86-64 and x32 share an AUDIT_ARCH; only the syscall number tells them apart.
        Set<SyscallAbi> listed = new LinkedHashSet<>(policy.abis());
        Label x32 = listed.contains(SyscallAbi.X32) ? emitSyscallDispatch(SyscallAbi.X32, rulesByAbi.get(SyscallAbi.X32))
                : builder.ret(badArchReturn);
        Label x86_64 = listed.contains(SyscallAbi.X86_64) ? emitSyscallDispatch(SyscallAbi.X86_64, rulesByAbi.get(SyscallAbi.X86_64))
                : builder.ret(badArchReturn);
        return builder.load(SeccompAbi.SECCOMP_DATA_NR_OFFSET,
                builder.jump(Bpf.JGE, SyscallAbi.X32_SYSCALL_BIT, x32, x86_64));
    }

    /** Emits the rule chains, then the search that picks one; expects the syscall number in A. */
    private Label emitSyscallDispatch(SyscallAbi abi, TreeMap<Integer, List<SyscallRule>> allRules) {
        boolean lowWordOnly = SeccompArchitectures.hasThirtyTwoBitArguments(abi);
        TreeMap<Integer, List<SyscallRule>> rulesByNumber = new TreeMap<>();
        allRules.forEach((number, rules) -> {
            List<SyscallRule> effective = effectiveRules(rules);
            if (!effective.isEmpty()) {
                rulesByNumber.put(number, effective);
            }
        });
        int count = rulesByNumber.size();
        int[] numbers = new int[count];
        Label[] chains = new Label[count];
        int i = count;
        for (Map.Entry<Integer, List<SyscallRule>> entry : rulesByNumber.descendingMap().entrySet()) {
            i--;
            numbers[i] = entry.getKey();
            chains[i] = emitRuleChain(entry.getValue(), lowWordOnly);
        }
        return emitSearch(numbers, chains, 0, count);
    }

    private Label emitSearch(int[] numbers, Label[] chains, int from, int to) {
        if (to - from <= LINEAR_SEARCH_MAX) {
            Label next = builder.ret(defaultReturn);
            for (int i = to - 1; i >= from; i--) {
                next = builder.jump(Bpf.JEQ, numbers[i], chains[i], next);
            }
            return next;
        }
        int middle = (from + to) >>> 1;
        Label upper = emitSearch(numbers, chains, middle, to);
        Label lower = emitSearch(numbers, chains, from, middle);
        return builder.jump(Bpf.JGE, numbers[middle], upper, lower);
    }

    /**
     * The rules that can change the outcome: none after the first unconditional rule is reachable,
     * and trailing rules with the default action decide nothing.
     */
    private List<SyscallRule> effectiveRules(List<SyscallRule> rules) {
        int end = rules.size();
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).unconditional()) {
                end = i + 1;
                break;
            }
        }
        while (end > 0 && rules.get(end - 1).action().equals(policy.defaultAction())) {
            end--;
        }
        return rules.subList(0, end);
    }

    /** The rules of one syscall, first match wins; the last may be unconditional. */
    private Label emitRuleChain(List<SyscallRule> rules, boolean lowWordOnly) {
        SyscallRule last = rules.get(rules.size() - 1);
        int end = last.unconditional() ? rules.size() - 1 : rules.size();
        Label next = builder.ret(last.unconditional() ? last.action().returnValue() : defaultReturn);
        for (int r = end - 1; r >= 0; r--) {
            SyscallRule rule = rules.get(r);
            Label match = builder.ret(rule.action().returnValue());
            for (int c = rule.args().size() - 1; c >= 0; c--) {
                match = ArgumentTests.emit(builder, rule.args().get(c), lowWordOnly, match, next);
            }
            next = match;
        }
        return next;
    }
}
