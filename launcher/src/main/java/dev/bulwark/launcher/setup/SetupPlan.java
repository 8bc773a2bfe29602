package dev.bulwark.launcher.setup;

import java.util.List;

/**
 * The container's setup as data: the steps its child runs between clone and execve, in order, each
 * with its config field and its why. {@link ChildSteps} renders each step into the syscall table as
 * it is declared; this is the same plan read back for people ({@link #toText()}, for
 * {@code bulwark plan} and tests): printing it runs nothing.
 */
public record SetupPlan(List<PlannedStep> steps) {
    public SetupPlan {
        steps = List.copyOf(steps);
    }

    /**
     * One block per step: its number, name and config field; the syscall with its arguments (and how
     * its result is judged); why.
     * <pre>
     *  12. make every mount private  [root.path]
     *      mount(0, "/", 0, 0x44000, 0)
     *      why: nothing mounted from here on propagates back to the host
     * </pre>
     * {@link PlanText} renders the same blocks with the command that does each step by hand.
     */
    public String toText() {
        StringBuilder text = new StringBuilder();
        int width = Integer.toString(steps.size()).length();
        for (PlannedStep step : steps) {
            text.append(PlanText.block(step, "", width)).append(System.lineSeparator());
        }
        return text.toString();
    }
}
