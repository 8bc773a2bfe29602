package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.SyscallException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Turns every failure into one line on stderr and the documented exit status. Bad input and failed
 * steps are {@link LaunchException}s (or syscall failures) whose message names the field, flag or step;
 * anything else is a bug, reported as such without a stack trace unless {@value #DEBUG} is set.
 * With the global {@code --log FILE}, the line also goes to FILE (one JSON object per line with
 * {@code --log-format json}: runc's shape, which containerd and Podman read).
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    static final String DEBUG = "BULWARK_DEBUG";

    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        int status;
        if (e instanceof LaunchException launch) {
            report(commandLine, launch.getMessage());
            status = launch.exitStatus();
        } else if (e instanceof SyscallException syscall) {
            report(commandLine, syscall.getMessage());
            status = LaunchException.LAUNCHER_ERROR;
        } else {
            report(commandLine, "internal error in \"" + commandLine.getCommandSpec().qualifiedName()
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
        report(e.getCommandLine(), e.getMessage() + " (see " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
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

    /** The one line on stderr, and in the global --log file when one is given. */
    private static void report(CommandLine commandLine, String message) {
        PrintWriter err = commandLine.getErr();
        String line = oneLine(message == null ? "failed without a message" : message);
        Object top = commandLine.getCommandSpec().root().userObject();
        if (top instanceof BulwarkCli cli && cli.log != null) {
            String logFailure = appendToLog(cli.log, "json".equals(cli.logFormat), line);
            if (logFailure != null) {
                line += " (not logged: --log " + cli.log + ": " + logFailure + ")"; // still one line
            }
        }
        print(err, line);
    }

    static void print(PrintWriter err, String message) {
        err.println("bulwark: " + oneLine(message == null ? "failed without a message" : message));
    }

    /** One record per error: JSON {"level":"error","msg":...,"time":...} or runc's text form. */
    static String logRecord(boolean json, String message, Instant time) {
        if (json) {
            return "{\"level\":\"error\",\"msg\":" + quote(message) + ",\"time\":" + quote(time.toString()) + "}\n";
        }
        return "time=" + quote(time.toString()) + " level=error msg=" + quote(message) + "\n";
    }

    /** Appends the record; the reason it could not, else null. */
    private static String appendToLog(Path log, boolean json, String message) {
        try {
            Files.writeString(log, logRecord(json, message, Instant.now()), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            return null;
        } catch (IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** A JSON string literal. */
    private static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
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
