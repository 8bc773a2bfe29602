package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.spawn.StepKind;

import java.util.List;

/**
 * One step of the container's setup as data: what the child will do between clone and execve, which
 * part of the config asks for it, and why. {@link SetupPlan} holds them in order.
 *
 * @param index       position in the plan (the table's progress reports are not steps)
 * @param name        the step's short name, as error messages and {@code --explain} show it
 * @param syscall     the syscall's name ("mount", "prctl", ...)
 * @param arguments   each argument as text: a number, a "quoted string" the table points to, a
 *                    {@code &struct[N bytes]}, or {@code result of #I} for the result of step I
 * @param configField the config field that asks for it ({@code mounts[3]}, {@code linux.seccomp}), or
 *                    {@link #LAUNCHER} for the launcher's own plumbing (pipes, parent-death signal), or
 *                    {@link #BULWARK} for hardening no field turns off
 * @param why         the reason, in plain words
 * @param judgement   how the result is judged beyond "not an error" ("must return 1", "tolerates EEXIST"), or ""
 * @param kind        {@link StepKind#EXEC} for the workload's execve candidates
 */
public record PlannedStep(int index, String name, String syscall, List<String> arguments, String configField,
                          String why, String judgement, StepKind kind) {
    /** The field of steps no config field asks for: the launcher's own plumbing. */
    public static final String LAUNCHER = "(launcher)";
    /** The field of hardening Bulwark adds whatever the config says (vm.memfd_noexec in the container's pid namespace). */
    public static final String BULWARK = "(bulwark)";

    public PlannedStep {
        arguments = List.copyOf(arguments);
    }

    /** {@code mount(0, "/", 0, 0x44000, 0)}. */
    public String call() {
        return syscall + "(" + String.join(", ", arguments) + ")";
    }
}
