package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The launcher-side steps of a run, in order, named for the test hook
 * {@code BULWARK_TEST_PAUSE_AT_STEP=NAME}: the launcher stops after that step (printing
 * "bulwark: test hook: paused at NAME" on stderr) and waits to be killed, so a test can SIGKILL it
 * exactly there and check that nothing is left behind. Not for production use.
 */
public enum LaunchStep {
    /** The state directory exists and holds a minimal state.json (status creating, launcher pid). */
    STATE_CLAIMED("state-claimed"),
    /** The cgroup (if any) exists and state.json names it. */
    CGROUP_CREATED("cgroup-created"),
    /** The child exists and waits on the sync pipe; its id maps are not written. */
    CHILD_CLONED("child-cloned"),
    /** uid_map and gid_map are written. */
    MAPS_WRITTEN("maps-written"),
    /** The child is in its cgroup. */
    CGROUP_JOINED("cgroup-joined"),
    /** The child was released to run its syscall table. */
    RELEASED("released"),
    /** The workload was exec'd and state.json says running. */
    RUNNING("running");

    public static final String ENVIRONMENT_VARIABLE = "BULWARK_TEST_PAUSE_AT_STEP";

    private final String stepName;

    LaunchStep(String stepName) {
        this.stepName = stepName;
    }

    public String stepName() {
        return stepName;
    }

    /** The step the test hook asks to pause at, or null when the variable is unset. */
    public static LaunchStep fromEnvironment() {
        String value = System.getenv(ENVIRONMENT_VARIABLE);
        if (value == null || value.isEmpty()) {
            return null;
        }
        return Arrays.stream(values()).filter(s -> s.stepName.equals(value)).findFirst().orElseThrow(() ->
                new LaunchException(ENVIRONMENT_VARIABLE + ": unknown step \"" + value + "\" (one of "
                        + Arrays.stream(values()).map(LaunchStep::stepName).collect(Collectors.joining(", ")) + ")"));
    }

    /** Stops the calling thread for good if {@code requested} is this step (the test then kills the process). */
    void pauseIf(LaunchStep requested) {
        if (requested != this) {
            return;
        }
        System.err.println("bulwark: test hook: paused at " + stepName);
        System.err.flush();
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // keep waiting: only a signal ends the test hook
            }
        }
    }
}
