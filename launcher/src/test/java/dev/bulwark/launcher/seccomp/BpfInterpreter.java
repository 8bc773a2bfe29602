package dev.bulwark.launcher.seccomp;

import java.util.List;

/**
 * A classic-BPF interpreter limited to what the kernel's seccomp checker accepts; anything else
 * (a bad opcode, a jump out of the program, falling off the end) fails the test.
 */
final class BpfInterpreter {
    private BpfInterpreter() {
    }

    static int run(SeccompProgram program, SeccompData data) {
        return run(program.instructions(), data);
    }

    static int run(List<BpfInstruction> program, SeccompData data) {
        int accumulator = 0;
        int pc = 0;
        for (int steps = 0; steps <= program.size(); steps++) {
            if (pc < 0 || pc >= program.size()) {
                throw new AssertionError("pc " + pc + " outside the program of " + program.size());
            }
            BpfInstruction insn = program.get(pc);
            int code = insn.code();
            switch (code) {
                case Bpf.LD | Bpf.W | Bpf.ABS -> {
                    accumulator = data.word(insn.k());
                    pc++;
                }
                case Bpf.ALU | Bpf.AND | Bpf.K -> {
                    accumulator &= insn.k();
                    pc++;
                }
                case Bpf.RET | Bpf.K -> {
                    return insn.k();
                }
                case Bpf.JMP | Bpf.JA -> pc += 1 + insn.k();
                case Bpf.JMP | Bpf.JEQ | Bpf.K -> pc += 1 + (accumulator == insn.k() ? insn.jt() : insn.jf());
                case Bpf.JMP | Bpf.JGT | Bpf.K ->
                        pc += 1 + (Integer.compareUnsigned(accumulator, insn.k()) > 0 ? insn.jt() : insn.jf());
                case Bpf.JMP | Bpf.JGE | Bpf.K ->
                        pc += 1 + (Integer.compareUnsigned(accumulator, insn.k()) >= 0 ? insn.jt() : insn.jf());
                case Bpf.JMP | Bpf.JSET | Bpf.K -> pc += 1 + ((accumulator & insn.k()) != 0 ? insn.jt() : insn.jf());
                default -> throw new AssertionError("opcode 0x" + Integer.toHexString(code) + " at " + pc);
            }
        }
        throw new AssertionError("program did not return"); // impossible with forward-only jumps
    }
}
