package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;

/** {@code state}, {@code delete} or {@code stats} of an id that has no state directory: exit status 1, not 125. */
public final class NoSuchContainerException extends LaunchException {
    public static final int EXIT_STATUS = 1;

    public NoSuchContainerException(ContainerId id) {
        super("container \"" + id + "\" does not exist", EXIT_STATUS, null);
    }
}
