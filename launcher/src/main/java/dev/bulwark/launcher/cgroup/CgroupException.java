package dev.bulwark.launcher.cgroup;

/**
 * A cgroup limit that cannot be planned or applied. The message is one line meant for the user:
 * it names the OCI field or cgroup file and the reason.
 */
public final class CgroupException extends Exception {
    public CgroupException(String message) {
        super(message);
    }

    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
