package dev.bulwark.launcher;

/**
 * A launch that cannot go on: a one-line message naming the field or step and the reason, and the
 * exit status the CLI reports (125 for launcher errors, 126 "cannot execute", 127 "not found").
 */
public class LaunchException extends RuntimeException {
    public static final int LAUNCHER_ERROR = 125;
    public static final int CANNOT_EXECUTE = 126;
    public static final int NOT_FOUND = 127;

    private final int exitStatus;

    public LaunchException(String message) {
        this(message, LAUNCHER_ERROR, null);
    }

    public LaunchException(String message, Throwable cause) {
        this(message, LAUNCHER_ERROR, cause);
    }

    public LaunchException(String message, int exitStatus, Throwable cause) {
        super(message, cause);
        this.exitStatus = exitStatus;
    }

    public int exitStatus() {
        return exitStatus;
    }
}
