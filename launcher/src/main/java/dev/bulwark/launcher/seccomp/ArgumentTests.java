package dev.bulwark.launcher.seccomp;

import dev.bulwark.launcher.seccomp.BackwardProgramBuilder.Label;
import dev.bulwark.nativ.SeccompAbi;

/**
 * Emits one argument comparison with 32-bit BPF, with libseccomp's semantics:
 * <ul>
 *   <li>on a 64-bit ABI (x86-64, aarch64) the full 64 bits are compared: the high words decide
 *       unless they are equal, then the low words do. A rule on an argument the kernel reads as a
 *       32-bit {@code int} must therefore mask it ({@code SCMP_CMP_MASKED_EQ} with 0xffffffff), or
 *       a caller can set high bits the kernel ignores and the filter does not;</li>
 *   <li>on a 32-bit ABI (i386, x32) only the low words are compared, and the value and mask are
 *       truncated to 32 bits, as libseccomp's {@code _db_rule_gen_32} does.</li>
 * </ul>
 * All comparisons are unsigned.
 */
final class ArgumentTests {
    private ArgumentTests() {
    }

    /** Emits the test of {@code comparison}, going to {@code match} or {@code noMatch}. */
    static Label emit(BackwardProgramBuilder b, ArgComparison comparison, boolean lowWordOnly, Label match,
                      Label noMatch) {
        if (match.equals(noMatch)) {
            return match; // both outcomes lead to the same place: nothing to test
        }
        int low = SeccompAbi.SECCOMP_DATA_ARGS_OFFSET + 8 * comparison.index();
        int high = low + 4; // little-endian: the high word follows the low one
        long value = comparison.value();
        if (lowWordOnly) {
            return emitLow(b, comparison, low, match, noMatch);
        }
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

    private static Label emitLow(BackwardProgramBuilder b, ArgComparison comparison, int low, Label match,
                                 Label noMatch) {
        int value = lowWord(comparison.value());
        return switch (comparison.op()) {
            case EQ -> b.load(low, b.jump(Bpf.JEQ, value, match, noMatch));
            case NE -> b.load(low, b.jump(Bpf.JEQ, value, noMatch, match));
            case GT -> b.load(low, b.jump(Bpf.JGT, value, match, noMatch));
            case GE -> b.load(low, b.jump(Bpf.JGE, value, match, noMatch));
            case LE -> b.load(low, b.jump(Bpf.JGT, value, noMatch, match));
            case LT -> b.load(low, b.jump(Bpf.JGE, value, noMatch, match));
            case MASKED_EQ -> maskedWord(b, low, value, lowWord(comparison.valueTwo()), match, noMatch);
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
        Label lowTest = maskedWord(b, low, lowWord(mask), lowWord(expected), yes, no);
        return maskedWord(b, high, highWord(mask), highWord(expected), lowTest, no);
    }

    /**
     * {@code (word & mask) == expected}. A zero mask needs no instruction: the test holds exactly
     * when {@code expected} is zero (so a mask of 0xffffffff on a 64-bit argument tests the low
     * word alone, which is how a profile compares a 32-bit int).
     */
    private static Label maskedWord(BackwardProgramBuilder b, int offset, int mask, int expected, Label yes, Label no) {
        if (mask == 0) {
            return expected == 0 ? yes : no;
        }
        Label test = b.jump(Bpf.JEQ, expected, yes, no);
        return b.load(offset, mask == -1 ? test : b.and(mask, test));
    }

    private static int highWord(long value) {
        return (int) (value >>> 32);
    }

    private static int lowWord(long value) {
        return (int) value;
    }
}
