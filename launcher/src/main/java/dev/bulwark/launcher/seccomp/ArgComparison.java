package dev.bulwark.launcher.seccomp;

/**
 * One condition on a syscall argument: {@code args[index] OP value} with unsigned 64-bit
 * arithmetic, or {@code (args[index] & value) == valueTwo} for {@link Op#MASKED_EQ}.
 */
public record ArgComparison(int index, Op op, long value, long valueTwo) {
    /** Syscalls take at most six arguments ({@code seccomp_data.args[6]}). */
    public static final int MAX_ARGS = 6;

    public enum Op {
        NE("SCMP_CMP_NE"), LT("SCMP_CMP_LT"), LE("SCMP_CMP_LE"), EQ("SCMP_CMP_EQ"),
        GE("SCMP_CMP_GE"), GT("SCMP_CMP_GT"), MASKED_EQ("SCMP_CMP_MASKED_EQ");

        private final String ociName;

        Op(String ociName) {
            this.ociName = ociName;
        }

        public String ociName() {
            return ociName;
        }

        public static java.util.Optional<Op> fromOciName(String name) {
            return java.util.Arrays.stream(values()).filter(op -> op.ociName.equals(name)).findFirst();
        }
    }

    public ArgComparison {
        if (index < 0 || index >= MAX_ARGS) {
            throw new IllegalArgumentException("argument index " + index + " is outside 0.." + (MAX_ARGS - 1));
        }
        java.util.Objects.requireNonNull(op, "op");
    }
}
