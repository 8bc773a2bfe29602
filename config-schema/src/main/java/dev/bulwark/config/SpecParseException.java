package dev.bulwark.config;

/**
 * A config.json that is not well-formed JSON or does not fit the model (wrong type, missing
 * required field, out-of-range number). The message is one line, e.g.
 * {@code config.json:3:14: process.user.uid: expected an integer}.
 */
public final class SpecParseException extends Exception {
    private final int line;
    private final int column;

    public SpecParseException(String message, int line, int column, Throwable cause) {
        super(message, cause);
        this.line = line;
        this.column = column;
    }

    /** 1-based line of the problem, or -1 if unknown. */
    public int line() {
        return line;
    }

    /** 1-based column of the problem, or -1 if unknown. */
    public int column() {
        return column;
    }
}
