package dev.bulwark.launcher.seccomp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a BPF program from its last instruction to its first, as libseccomp does. Seccomp
 * filters only jump forward, so every jump target already exists when a jump is emitted and its
 * distance is known. A conditional jump whose target lies beyond the 8-bit {@code jt}/{@code jf}
 * range gets a trampoline: an unconditional {@code JA} (32-bit offset) placed right after it.
 *
 * <p>A {@link Label} is the position of an instruction counted from the end of the program.
 */
final class BackwardProgramBuilder {
    /** A position in the program under construction, stable while instructions are prepended. */
    record Label(int fromEnd) {
    }

    private final List<BpfInstruction> reversed = new ArrayList<>();
    private final Map<Integer, Label> returns = new HashMap<>();

    /** Emits {@code ret value}, reusing an earlier identical return while a short jump reaches it. */
    Label ret(int value) {
        Label existing = returns.get(value);
        if (existing != null && distanceTo(existing) <= Bpf.MAX_SHORT_JUMP) {
            return existing;
        }
        Label label = emit(BpfInstruction.ret(value));
        returns.put(value, label);
        return label;
    }

    /** Emits {@code A = seccomp_data[offset]} followed by {@code next}. */
    Label load(int offset, Label next) {
        fallThroughTo(next);
        return emit(BpfInstruction.loadAbsolute(offset));
    }

    /** Emits {@code A &= mask} followed by {@code next}. */
    Label and(int mask, Label next) {
        fallThroughTo(next);
        return emit(BpfInstruction.and(mask));
    }

    /** Emits {@code if (A <operation> k) goto whenTrue else goto whenFalse}. */
    Label jump(int operation, int k, Label whenTrue, Label whenFalse) {
        if (whenTrue.equals(whenFalse)) {
            return whenTrue; // the test decides nothing
        }
        Label trueTarget = reachable(whenTrue);
        Label falseTarget = reachable(whenFalse);
        trueTarget = reachable(trueTarget); // a false-side trampoline may have pushed it out of range
        return emit(BpfInstruction.jump(operation, k, distanceTo(trueTarget), distanceTo(falseTarget)));
    }

    List<BpfInstruction> build() {
        List<BpfInstruction> program = new ArrayList<>(reversed);
        Collections.reverse(program);
        return program;
    }

    /** Makes {@code target} the instruction after the next one emitted, by a jump if need be. */
    private void fallThroughTo(Label target) {
        if (target.fromEnd() != reversed.size() - 1) {
            emit(BpfInstruction.jumpAlways(distanceTo(target)));
        }
    }

    private Label reachable(Label target) {
        int distance = distanceTo(target);
        if (distance <= Bpf.MAX_SHORT_JUMP) {
            return target;
        }
        return emit(BpfInstruction.jumpAlways(distance));
    }

    /** The jump offset an instruction emitted next would need to reach {@code target}. */
    private int distanceTo(Label target) {
        return reversed.size() - target.fromEnd() - 1;
    }

    private Label emit(BpfInstruction instruction) {
        reversed.add(instruction);
        return new Label(reversed.size() - 1);
    }
}
