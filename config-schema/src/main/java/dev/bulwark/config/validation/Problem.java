package dev.bulwark.config.validation;

/**
 * One thing wrong with a spec: where (a JSON path such as {@code mounts[2].destination}) and why.
 * {@link #toString()} is the user-facing form, {@code mounts[2].destination: must be absolute}.
 */
public record Problem(String path, String reason) {
    @Override
    public String toString() {
        return path + ": " + reason;
    }
}
