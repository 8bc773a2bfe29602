package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.SyscallException;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Turns failures into one line per problem on stderr and the documented exit status; with the
 * global {@code --log FILE}, also into FILE (one JSON object per line with {@code --log-format json},
 * the shape containerd and Podman read from runc).
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        if (e instanceof LaunchException launch) {
            report(commandLine, launch.getMessage());
            if (System.getenv("BULWARK_DEBUG") != null) {
                e.printStackTrace();
            }
            return launch.exitStatus();
        }
        if (e instanceof SyscallException syscall) {
            report(commandLine, syscall.getMessage());
            return LaunchException.LAUNCHER_ERROR;
        }
        report(commandLine, "internal error: " + e);
        e.printStackTrace();
        return LaunchException.LAUNCHER_ERROR;
    }

    static int parameterError(CommandLine.ParameterException e, String[] args) {
        report(e.getCommandLine(), e.getMessage() + " (see bulwark " + e.getCommandLine().getCommandName() + " --help)");
        return LaunchException.LAUNCHER_ERROR;
    }

    private static void report(CommandLine commandLine, String message) {
        print(message);
        Object top = commandLine.getCommandSpec().root().userObject();
        if (top instanceof BulwarkCli cli && cli.log != null) {
            appendToLog(cli.log, "json".equals(cli.logFormat), message);
        }
    }

    static void print(String message) {
        for (String line : message.split("\n")) {
            System.err.println("bulwark: " + line);
        }
    }

    /** One record per error: JSON {"level":"error","msg":...,"time":...} or runc's text form. */
    static String logRecord(boolean json, String message, Instant time) {
        if (json) {
            return "{\"level\":\"error\",\"msg\":" + quote(message) + ",\"time\":" + quote(time.toString()) + "}\n";
        }
        return "time=" + quote(time.toString()) + " level=error msg=" + quote(message) + "\n";
    }

    private static void appendToLog(Path log, boolean json, String message) {
        try {
            Files.writeString(log, logRecord(json, message, Instant.now()), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            print("--log " + log + ": " + e.getMessage());
        }
    }

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
}
