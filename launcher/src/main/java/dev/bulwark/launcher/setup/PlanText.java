package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Spec;

import java.util.List;

/**
 * {@code bulwark plan}'s text (and {@code run --trace}'s lines): each step of a {@link SetupPlan} as a
 * block with its number, name and config field; the syscall with its arguments (and how its result is
 * judged); why; and the command that does the same by hand ({@link ByHand}).
 * <pre>
 *  12. make every mount private  [root.path]
 *      mount(0, "/", 0, 0x44000, 0)
 *      why: nothing mounted from here on propagates back to the host
 *      by hand: mount --make-rprivate /
 * </pre>
 */
public final class PlanText {
    private PlanText() {
    }

    /** Every step of {@code plan}, in order. */
    public static String render(SetupPlan plan, Spec spec) {
        StringBuilder text = new StringBuilder();
        int width = Integer.toString(plan.steps().size()).length();
        List<String> byHand = ByHand.of(plan, spec);
        for (PlannedStep step : plan.steps()) {
            text.append(block(step, byHand.get(step.index()), width)).append('\n');
        }
        return text.toString();
    }

    /** One step's block, lines separated by '\n' (no trailing newline); {@code width} pads the number. */
    public static String block(PlannedStep step, String byHand, int width) {
        String indent = " ".repeat(Math.max(width, 1) + 2);
        StringBuilder text = new StringBuilder();
        text.append(String.format("%" + Math.max(width, 1) + "d. %s  [%s]", step.index(), step.name(), step.configField()));
        text.append('\n').append(indent).append(step.call());
        if (!step.judgement().isEmpty()) {
            text.append("  (").append(step.judgement()).append(')');
        }
        if (step.why() != null && !step.why().isEmpty()) {
            text.append('\n').append(indent).append("why: ").append(step.why());
        }
        if (byHand != null && !byHand.isEmpty()) {
            text.append('\n').append(indent).append("by hand: ").append(byHand);
        }
        return text.toString();
    }
}
