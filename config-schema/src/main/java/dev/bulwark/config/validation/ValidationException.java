package dev.bulwark.config.validation;

import java.util.List;
import java.util.stream.Collectors;

/** A spec with one or more {@link Problem}s; the message lists every problem, one per line. */
public final class ValidationException extends Exception {
    private final List<Problem> problems;

    public ValidationException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("no problems to report");
        }
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
