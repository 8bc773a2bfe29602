package dev.bulwark.launcher.seccomp;

import dev.bulwark.launcher.seccomp.BackwardProgramBuilder.Label;
import dev.bulwark.nativ.SeccompAbi;

/**
 * Emits one 64-bit argument comparison with 32-bit BPF: the high words decide unless they are
 * equal, then the low words do. All comparisons are unsigned, as in libseccomp.
 */
final class ArgumentTests {
    private ArgumentTests() {
    }

    /** Emits the test of {@code comparison}, going to {@code match} or {@code noMatch}. */
    static Label emit(BackwardProgramBuilder b, ArgComparison comparison, Label match, Label noMatch) {
        if (match.equals(noMatch)) {
            return match; // both outcomes lead to the same place: nothing to test
        }
        int low = SeccompAbi.SECCOMP_DATA_ARGS_OFFSET + 8 * comparison.index();
        int high = low + 4; // little-endian: the high word follows the low one
        long value = comparison.value();
        return switch (comparison.op()) {
            case EQ -> equal(b, high, low, value, match, noMatch);
            case NE -> equal(b, high, low, value, noMatch, match);
            case GT -> greater(b, high, low, value, Bpf.JGT, match, noMatch);
            case GE -> greater(b, high, low, value, Bpf.JGE, match, noMatch);
            case LE -> greater(b, high, low, value, Bpf.JGT, noMatch, match); // a <= v is !(a > v)
            case LT -> greater(b, high, low, value, Bpf.JGE, noMatch, match); // a < v is !(a >= v)
            case MASKED_EQ -> maskedEqual(b, high, low, value, comparison.valueTwo(), match, noMatch);
        };
    }

    private static Label equal(BackwardProgramBuilder b, int high, int low, long value, Label yes, Label no) {
        Label lowTest = b.load(low, b.jump(Bpf.JEQ, lowWord(value), yes, no));
        return b.load(high, b.jump(Bpf.JEQ, highWord(value), lowTest, no));
    }

    /** {@code lowOperation} is JGT for "a > v" and JGE for "a >= v"; the high words decide alike. */
    private static Label greater(BackwardProgramBuilder b, int high, int low, long value, int lowOperation,
                                 Label yes, Label no) {
        Label lowTest = b.load(low, b.jump(lowOperation, lowWord(value), yes, no));
        Label highEqual = b.jump(Bpf.JEQ, highWord(value), lowTest, no);
        return b.load(high, b.jump(Bpf.JGT, highWord(value), yes, highEqual));
    }

    private static Label maskedEqual(BackwardProgramBuilder b, int high, int low, long mask, long expected,
                                     Label yes, Label no) {
        Label lowTest = b.load(low, b.and(lowWord(mask), b.jump(Bpf.JEQ, lowWord(expected), yes, no)));
        return b.load(high, b.and(highWord(mask), b.jump(Bpf.JEQ, highWord(expected), lowTest, no)));
    }

    private static int highWord(long value) {
        return (int) (value >>> 32);
    }

    private static int lowWord(long value) {
        return (int) value;
    }
}
