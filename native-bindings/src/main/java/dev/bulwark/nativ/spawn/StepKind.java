package dev.bulwark.nativ.spawn;

/** What a table entry is for, so that a reported failure can be classified without reading its name. */
public enum StepKind {
    /** Preparing the child: a failure is the runtime's or the config's. */
    SETUP,
    /** An execve of the workload: a failure means the program is missing or cannot be executed. */
    EXEC
}
