package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.SyscallException;
import picocli.CommandLine;

/** Turns failures into one line per problem on stderr and the documented exit status. */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        if (e instanceof LaunchException launch) {
            print(launch.getMessage());
            if (System.getenv("BULWARK_DEBUG") != null) {
                e.printStackTrace();
            }
            return launch.exitStatus();
        }
        if (e instanceof SyscallException syscall) {
            print(syscall.getMessage());
            return LaunchException.LAUNCHER_ERROR;
        }
        print("internal error: " + e);
        e.printStackTrace();
        return LaunchException.LAUNCHER_ERROR;
    }

    static int parameterError(CommandLine.ParameterException e, String[] args) {
        print(e.getMessage() + " (see bulwark " + e.getCommandLine().getCommandName() + " --help)");
        return LaunchException.LAUNCHER_ERROR;
    }

    static void print(String message) {
        for (String line : message.split("\n")) {
            System.err.println("bulwark: " + line);
        }
    }
}
