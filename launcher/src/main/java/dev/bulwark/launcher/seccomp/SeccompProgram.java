package dev.bulwark.launcher.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A compiled seccomp filter: the classic-BPF instructions and the flags for
 * {@code seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)}. {@code warnings} lists what of the
 * configuration was not honoured as written (for example an architecture Bulwark has no table for),
 * for the launcher to log.
 */
public record SeccompProgram(List<BpfInstruction> instructions, int flags, List<String> warnings) {
    /** Size of one {@code struct sock_filter}. */
    public static final int INSTRUCTION_BYTES = 8;

    public SeccompProgram {
        instructions = List.copyOf(instructions);
        warnings = List.copyOf(warnings);
    }

    public int length() {
        return instructions.size();
    }

    /** The {@code struct sock_filter} array, as the kernel reads it on a little-endian host. */
    public byte[] toBytes() {
        ByteBuffer buffer = ByteBuffer.allocate(instructions.size() * INSTRUCTION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (BpfInstruction instruction : instructions) {
            buffer.putShort((short) instruction.code())
                    .put((byte) instruction.jt())
                    .put((byte) instruction.jf())
                    .putInt(instruction.k());
        }
        return buffer.array();
    }

    /** A libseccomp-style listing, one instruction per line, jumps shown as absolute targets. */
    public String disassemble() {
        return BpfDisassembler.disassemble(this);
    }
}
