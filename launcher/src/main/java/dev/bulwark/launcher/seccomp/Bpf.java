package dev.bulwark.launcher.seccomp;

/** The classic-BPF opcodes a seccomp filter uses ({@code linux/bpf_common.h}). */
public final class Bpf {
    private Bpf() {
    }

    // Instruction classes.
    public static final int LD = 0x00;
    public static final int ALU = 0x04;
    public static final int JMP = 0x05;
    public static final int RET = 0x06;

    // LD size and mode; seccomp only allows 32-bit absolute loads from seccomp_data.
    public static final int W = 0x00;
    public static final int ABS = 0x20;

    // ALU and JMP operations.
    public static final int AND = 0x50;
    public static final int JA = 0x00;
    public static final int JEQ = 0x10;
    public static final int JGT = 0x20;
    public static final int JGE = 0x30;
    public static final int JSET = 0x40;

    // Operand source.
    public static final int K = 0x00;

    /** The offset a conditional jump can reach: {@code jt} and {@code jf} are 8 bits wide. */
    public static final int MAX_SHORT_JUMP = 0xff;

    public static int instructionClass(int code) {
        return code & 0x07;
    }

    public static int operation(int code) {
        return code & 0xf0;
    }
}
