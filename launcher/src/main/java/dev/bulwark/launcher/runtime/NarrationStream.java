package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.setup.Narration;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Where {@code run --explain} or {@code --trace} narrates the launch, and how much it says. Each line
 * is prefixed {@value #PREFIX} so that a reader can tell it from the workload's output, and every line
 * of the launch is printed before the workload runs (the child waits for the narrator at its last stop).
 */
public final class NarrationStream extends PrintStream {
    /** The prefix of every narration line. */
    public static final String PREFIX = "[bulwark] ";

    private final Narration.Detail detail;

    public NarrationStream(OutputStream out, Narration.Detail detail) {
        super(out, true);
        this.detail = detail;
    }

    public Narration.Detail detail() {
        return detail;
    }

    /** The detail of {@code explain}: a plain stream (an embedding caller's) narrates in full. */
    static Narration.Detail detailOf(PrintStream explain) {
        return explain instanceof NarrationStream narration ? narration.detail() : Narration.Detail.FULL;
    }
}
