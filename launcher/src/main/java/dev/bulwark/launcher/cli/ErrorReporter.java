package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.SyscallException;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Turns every failure into one line on stderr and the documented exit status. Bad input and failed
 * steps are {@link LaunchException}s (or syscall failures) whose message names the field, flag or step;
 * anything else is a bug, reported as such without a stack trace unless {@value #DEBUG} is set.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    static final String DEBUG = "BULWARK_DEBUG";

    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        int status;
        if (e instanceof LaunchException launch) {
            print(err, launch.getMessage());
            status = launch.exitStatus();
        } else if (e instanceof SyscallException syscall) {
            print(err, syscall.getMessage());
            status = LaunchException.LAUNCHER_ERROR;
        } else {
            print(err, "internal error in \"" + commandLine.getCommandSpec().qualifiedName()
                    + "\" (a bug in Bulwark, not in your input); run again with " + DEBUG + "=1 to see where");
            status = LaunchException.LAUNCHER_ERROR;
        }
        if (debugging()) {
            e.printStackTrace(err);
        }
        err.flush();
        return status;
    }

    static int parameterError(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        print(err, e.getMessage() + " (see " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
        if (debugging()) {
            e.printStackTrace(err);
        }
        err.flush();
        return LaunchException.LAUNCHER_ERROR;
    }

    private static boolean debugging() {
        String value = System.getenv(DEBUG);
        return value != null && !value.isEmpty() && !value.equals("0");
    }

    static void print(PrintWriter err, String message) {
        err.println("bulwark: " + oneLine(message == null ? "failed without a message" : message));
    }

    /**
     * The message on one line, whatever it quotes from the input: control characters and unpaired
     * surrogates (which no terminal can show) become escapes such as {@code \n} and {@code \u0000}.
     */
    static String oneLine(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < message.length() && Character.isLowSurrogate(message.charAt(i + 1))) {
                out.append(c).append(message.charAt(++i));
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
