package dev.bulwark.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a user-facing error must look like: one non-empty line, in words, with no trace of Java. */
public final class CleanErrors {
    /** A qualified class name (java.lang.String, dev.bulwark.x.Y), a *Exception/*Error name or a stack frame. */
    private static final Pattern JAVA = Pattern.compile(
            "\\b(?:[a-z][a-z0-9_]*\\.){2,}[A-Z]\\w*|\\b\\w+(?:Exception|Error)\\b|^\\s*at [a-z]|\\bat (?:java|dev|jdk|sun|com|picocli)\\.",
            Pattern.MULTILINE);

    private CleanErrors() {
    }

    /** A config error: also names the field ("root.path: ..."). */
    public static void assertCleanFieldError(String line, String context) {
        assertCleanLine(line, context);
        assertTrue(line.contains(": "), () -> "the message names no field or step for " + context + ":\n" + line);
    }

    /** @param context what was run, for the failure message */
    public static void assertCleanLine(String line, String context) {
        if (line == null || line.isBlank()) {
            fail("empty error message for " + context);
        }
        assertFalse(line.contains("\n") || line.contains("\r"), () -> "more than one line for " + context + ":\n" + line);
        assertFalse(line.startsWith("internal error"), () -> "a bug, not an input error, for " + context + ":\n" + line);
        Matcher java = JAVA.matcher(line);
        if (java.find()) {
            fail("Java detail \"" + java.group() + "\" in the message for " + context + ":\n" + line);
        }
    }
}
