package dev.bulwark.config.validation;

import java.util.ArrayList;
import java.util.List;

/** Collects problems in document order while the rules walk the spec. */
final class Problems {
    private final List<Problem> found = new ArrayList<>();

    /** Adds the problem unless the same one was already found (two rules may catch it). */
    void add(String path, String reason) {
        Problem problem = new Problem(path, reason);
        if (!found.contains(problem)) {
            found.add(problem);
        }
    }

    int count() {
        return found.size();
    }

    List<Problem> toList() {
        return List.copyOf(found);
    }

    /** {@code base[index]}. */
    static String at(String base, int index) {
        return base + "[" + index + "]";
    }

    /** {@code base["key"]}: map keys often contain dots ({@code net.ipv4.ip_forward}). */
    static String key(String base, String key) {
        return base + "[\"" + key + "\"]";
    }

    // ---- shared checks -------------------------------------------------------------------

    /** An absolute path, without NUL or ".." components; returns false if a problem was added. */
    boolean absolutePath(String path, String value) {
        if (value == null || value.isEmpty()) {
            add(path, "required");
            return false;
        }
        if (value.indexOf('\0') >= 0) {
            add(path, "must not contain NUL");
            return false;
        }
        if (!value.startsWith("/")) {
            add(path, "must be absolute");
            return false;
        }
        if (hasDotDot(value)) {
            add(path, "must not contain \"..\"");
            return false;
        }
        return true;
    }

    static boolean hasDotDot(String value) {
        for (String part : value.split("/", -1)) {
            if (part.equals("..")) {
                return true;
            }
        }
        return false;
    }

    void positiveOrUnlimited(String path, Long value) {
        if (value != null && value <= 0 && value != -1) {
            add(path, "must be positive or -1 (unlimited)");
        }
    }

    void positive(String path, Long value) {
        if (value != null && value <= 0) {
            add(path, "must be positive");
        }
    }

    void nonNegative(String path, Long value) {
        if (value != null && value < 0) {
            add(path, "must not be negative");
        }
    }

    void inRange(String path, Number value, long min, long max) {
        if (value != null && (value.longValue() < min || value.longValue() > max)) {
            add(path, "must be between " + min + " and " + max);
        }
    }

    /** uint32 ids and sizes held in a long. */
    void uint32(String path, Long value) {
        if (value != null && (value < 0 || value > KnownNames.UINT32_MAX)) {
            add(path, "must be between 0 and " + KnownNames.UINT32_MAX);
        }
    }
}
