package dev.bulwark.junit;

/**
 * Attached (suppressed) to a failing test's exception: what one of its containers wrote and how it
 * was launched. Carries no stack trace of its own.
 */
public final class ContainerOutput extends RuntimeException {
    private final String id;
    private final String stdout;
    private final String stderr;
    private final String explanation;

    ContainerOutput(String id, String state, String stdout, String stderr, String explanation) {
        super("container " + id + " (" + state + ")\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr
                + "\n--- launch ---\n" + explanation, null, false, false);
        this.id = id;
        this.stdout = stdout;
        this.stderr = stderr;
        this.explanation = explanation;
    }

    public String id() {
        return id;
    }

    public String stdout() {
        return stdout;
    }

    public String stderr() {
        return stderr;
    }

    public String explanation() {
        return explanation;
    }
}
