package dev.bulwark.launcher.seccomp;

import dev.bulwark.nativ.SeccompAbi;
import dev.bulwark.nativ.SyscallAbi;
import java.util.List;
import java.util.Locale;

/** Renders a {@link SeccompProgram} for people: absolute jump targets, named fields and actions. */
final class BpfDisassembler {
    private BpfDisassembler() {
    }

    static String disassemble(SeccompProgram program) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "# %d instructions, flags 0x%x%n", program.length(), program.flags()));
        out.append(" line  OP   JT   JF   K\n");
        List<BpfInstruction> instructions = program.instructions();
        for (int pc = 0; pc < instructions.size(); pc++) {
            BpfInstruction insn = instructions.get(pc);
            out.append(String.format(Locale.ROOT, " %04d: 0x%02x 0x%02x 0x%02x 0x%08x   %s%n",
                    pc, insn.code(), insn.jt(), insn.jf(), insn.k(), describe(pc, insn)));
        }
        return out.toString();
    }

    static String describe(int pc, BpfInstruction insn) {
        int code = insn.code();
        switch (Bpf.instructionClass(code)) {
            case Bpf.LD:
                return "ld  $data[" + insn.k() + "]" + fieldName(insn.k());
            case Bpf.ALU:
                return Bpf.operation(code) == Bpf.AND ? String.format(Locale.ROOT, "and 0x%08x", insn.k()) : "alu ?";
            case Bpf.RET:
                return "ret " + actionName(insn.k());
            case Bpf.JMP:
                if (Bpf.operation(code) == Bpf.JA) {
                    return "jmp " + (pc + 1 + insn.k());
                }
                String mnemonic = switch (Bpf.operation(code)) {
                    case Bpf.JEQ -> "jeq";
                    case Bpf.JGT -> "jgt";
                    case Bpf.JGE -> "jge";
                    case Bpf.JSET -> "jset";
                    default -> "j?";
                };
                return String.format(Locale.ROOT, "%-4s 0x%08x  true:%04d false:%04d%s", mnemonic, insn.k(),
                        pc + 1 + insn.jt(), pc + 1 + insn.jf(), constantName(insn.k()));
            default:
                return "?";
        }
    }

    private static String fieldName(int offset) {
        if (offset == SeccompAbi.SECCOMP_DATA_NR_OFFSET) {
            return "  # nr";
        }
        if (offset == SeccompAbi.SECCOMP_DATA_ARCH_OFFSET) {
            return "  # arch";
        }
        if (offset >= SeccompAbi.SECCOMP_DATA_ARGS_OFFSET) {
            int relative = offset - SeccompAbi.SECCOMP_DATA_ARGS_OFFSET;
            return "  # args[" + relative / 8 + "]." + (relative % 8 == 0 ? "lo" : "hi");
        }
        return "  # instruction_pointer";
    }

    private static String constantName(int k) {
        for (SyscallAbi abi : SyscallAbi.values()) {
            if (abi != SyscallAbi.X32 && abi.auditArch() == k) {
                return "  # AUDIT_ARCH " + abi.name();
            }
        }
        return "";
    }

    static String actionName(int value) {
        int data = value & SeccompAbi.SECCOMP_RET_DATA;
        return switch (value & SeccompAbi.SECCOMP_RET_ACTION_FULL) {
            case SeccompAbi.SECCOMP_RET_KILL_PROCESS -> "KILL_PROCESS";
            case SeccompAbi.SECCOMP_RET_KILL_THREAD -> "KILL_THREAD";
            case SeccompAbi.SECCOMP_RET_TRAP -> "TRAP";
            case SeccompAbi.SECCOMP_RET_ERRNO -> "ERRNO(" + data + ")";
            case SeccompAbi.SECCOMP_RET_TRACE -> "TRACE(" + data + ")";
            case SeccompAbi.SECCOMP_RET_LOG -> "LOG";
            case SeccompAbi.SECCOMP_RET_ALLOW -> "ALLOW";
            default -> String.format(Locale.ROOT, "0x%08x", value);
        };
    }
}
