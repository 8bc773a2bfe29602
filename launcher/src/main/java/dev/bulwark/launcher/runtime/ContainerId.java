package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;

import java.util.regex.Pattern;

/**
 * A container id, validated once before any path or cgroup name is built from it. runc's rule:
 * letters, digits, '_', '+', '-' and '.', not "." or "..", so an id is always one plain path component.
 *
 * @param value the id as given
 */
public record ContainerId(String value) {
    public static final int MAX_LENGTH = 1024;
    private static final Pattern ALLOWED = Pattern.compile("^[\\w+.-]+$");

    public ContainerId {
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /**
     * Parses {@code value}; a bad id fails with one line naming {@code source} (the flag or argument
     * it came from, e.g. "--id" or "ID").
     */
    public static ContainerId parse(String value, String source) {
        String problem = problem(value);
        if (problem != null) {
            throw new LaunchException(source + ": " + problem);
        }
        return new ContainerId(value);
    }

    /** Whether {@code name} (a directory entry under the state root) is a valid id. */
    public static boolean isValid(String name) {
        return problem(name) == null;
    }

    private static String problem(String value) {
        if (value == null || value.isEmpty()) {
            return "container id is empty";
        }
        String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        if (value.length() > MAX_LENGTH) {
            return "container id \"" + shown + "\" is longer than " + MAX_LENGTH + " characters";
        }
        if (value.equals(".") || value.equals("..") || !ALLOWED.matcher(value).matches()) {
            return "invalid container id \"" + shown.replaceAll("\\p{Cntrl}", "?")
                    + "\" (allowed: letters, digits, '_', '+', '-', '.'; not \".\" or \"..\")";
        }
        return null;
    }

    @Override
    public String toString() {
        return value;
    }
}
