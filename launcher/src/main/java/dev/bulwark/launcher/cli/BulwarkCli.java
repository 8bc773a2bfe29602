package dev.bulwark.launcher.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bulwark} command: a hardened OCI container launcher. */
@Command(name = "bulwark", mixinStandardHelpOptions = true, version = "bulwark 0.1.0",
        description = "Runs OCI containers with strong defaults: user namespace, no capabilities, "
                + "no_new_privs, seccomp, read-only root, loopback-only network.",
        subcommands = {RunCommand.class, SpecCommand.class, StateCommand.class, ListCommand.class, StatsCommand.class,
                DeleteCommand.class, SeccompCommand.class})
public final class BulwarkCli {
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit status (for tests and embedding). */
    public static int execute(String... args) {
        LogOutput.configureOnFirstUse();
        CommandLine commandLine = new CommandLine(new BulwarkCli());
        commandLine.registerConverter(Path.class, new PathConverter());
        commandLine.setExecutionExceptionHandler(new ErrorReporter());
        commandLine.setParameterExceptionHandler(ErrorReporter::parameterError);
        return commandLine.execute(args);
    }
}
