package dev.bulwark.launcher.seccomp;

/**
 * One {@code struct sock_filter}: opcode, the two 8-bit relative jump offsets of a conditional
 * jump, and the 32-bit operand {@code k} (held in an {@code int}, read as unsigned).
 */
public record BpfInstruction(int code, int jt, int jf, int k) {
    public BpfInstruction {
        if (code < 0 || code > 0xffff) {
            throw new IllegalArgumentException("opcode out of range: " + code);
        }
        if (jt < 0 || jt > Bpf.MAX_SHORT_JUMP || jf < 0 || jf > Bpf.MAX_SHORT_JUMP) {
            throw new IllegalArgumentException("jump offset out of range: jt=" + jt + " jf=" + jf);
        }
    }

    public static BpfInstruction loadAbsolute(int offset) {
        return new BpfInstruction(Bpf.LD | Bpf.W | Bpf.ABS, 0, 0, offset);
    }

    public static BpfInstruction and(int mask) {
        return new BpfInstruction(Bpf.ALU | Bpf.AND | Bpf.K, 0, 0, mask);
    }

    public static BpfInstruction jump(int operation, int k, int jt, int jf) {
        return new BpfInstruction(Bpf.JMP | operation | Bpf.K, jt, jf, k);
    }

    /** Unconditional jump: its offset is 32 bits wide, so it also serves as a long jump. */
    public static BpfInstruction jumpAlways(int offset) {
        return new BpfInstruction(Bpf.JMP | Bpf.JA, 0, 0, offset);
    }

    public static BpfInstruction ret(int value) {
        return new BpfInstruction(Bpf.RET | Bpf.K, 0, 0, value);
    }

    public boolean isConditionalJump() {
        return Bpf.instructionClass(code) == Bpf.JMP && Bpf.operation(code) != Bpf.JA;
    }
}
