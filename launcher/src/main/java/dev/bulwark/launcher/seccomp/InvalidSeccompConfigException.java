package dev.bulwark.launcher.seccomp;

/** A seccomp configuration Bulwark refuses; the message starts with the offending JSON path. */
public final class InvalidSeccompConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String path;

    public InvalidSeccompConfigException(String path, String reason) {
        super(path + ": " + reason);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
