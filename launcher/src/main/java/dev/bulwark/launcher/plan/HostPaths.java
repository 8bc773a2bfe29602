package dev.bulwark.launcher.plan;

import dev.bulwark.launcher.LaunchException;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Config strings turned into host paths, with a failure that names the field instead of the Java exception. */
public final class HostPaths {
    private HostPaths() {
    }

    /**
     * @param text  a path from the config (the validator has already refused NUL and unpaired surrogates; a
     *              JVM whose file-name encoding is not UTF-8 may refuse more)
     * @param field the config field, e.g. {@code mounts[2].source}
     */
    public static Path of(String text, String field) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new LaunchException(field + ": \"" + text + "\" is not a usable file name here (" + e.getReason() + ")");
        }
    }

    /** {@code base.resolve(part)} for a path component from the config. */
    public static Path resolve(Path base, String part, String field) {
        return base.resolve(of(part, field));
    }
}
