package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code bulwark} command: a hardened OCI container launcher, driven like runc. Global options
 * come before the verb, as engines pass them ({@code bulwark --root DIR --log F --log-format json create ...}).
 */
@Command(name = "bulwark", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = {"Runs OCI containers with strong defaults: user namespace, no capabilities, "
                + "no_new_privs, seccomp, read-only root, loopback-only network. Drivable through runc's command line.",
                "",
                "It also teaches the layers it builds: 'run --explain' narrates each setup step, 'explain TOPIC' says "
                + "what a mechanism is, the threat it blocks and how Bulwark sets it, and 'audit' checks a config "
                + "against the CIS Docker Benchmark. 'bulwark help COMMAND' (or COMMAND --help) describes each command."},
        footer = {"", "Examples:",
                "  bulwark run -- /bin/sh -c 'id; hostname'   # the built-in hardened container",
                "  bulwark explain                            # the layers, one topic each",
                "  bulwark help run",
                "  bulwark --root /tmp/state list             # global options before the verb"},
        subcommands = {CreateCommand.class, StartCommand.class, StateCommand.class, KillCommand.class, DeleteCommand.class,
                RunCommand.class, LogsCommand.class, PsCommand.class, ListCommand.class, FeaturesCommand.class, SpecCommand.class,
                StatsCommand.class, SeccompCommand.class, AuditCommand.class, ExplainCommand.class, PlanCommand.class,
                InspectCommand.class, SystemdUnitCommand.class, ExecCommand.class, PauseCommand.class, ResumeCommand.class,
                UpdateCommand.class, EventsCommand.class,
                CommandLine.HelpCommand.class})
public final class BulwarkCli {
    @Option(names = "--root", paramLabel = "DIR", description = "state directory root (default: /run/bulwark as root, "
            + "$XDG_RUNTIME_DIR/bulwark or /tmp/bulwark-UID rootless)")
    Path root;

    @Option(names = "--log", paramLabel = "FILE", description = "also append errors to FILE")
    Path log;

    @Option(names = "--log-format", paramLabel = "text|json", description = "format of --log: text (default) or json "
            + "(runc's shape: {\"level\":\"error\",\"msg\":...,\"time\":...})")
    String logFormat = "text";

    @Option(names = "--profile", paramLabel = "hardened|oci", description = "the profile of create and run, for engines that "
            + "pass flags before the verb only: oci (default) runs the config as the runtime spec says; hardened lifts it "
            + "(user namespace, no_new_privs, default seccomp profile, read-only root). A verb's own --profile wins; "
            + "then this, then BULWARK_PROFILE, then /etc/bulwark/bulwark.json")
    String profile;

    @Option(names = "--debug", description = "debug output (as BULWARK_DEBUG)")
    boolean debug;

    @Option(names = "--systemd-cgroup", description = "accepted for engines; needs a running systemd (cgroups are "
            + "still managed directly through cgroupfs)")
    boolean systemdCgroup;

    @Option(names = "--cgroup-manager", paramLabel = "cgroupfs|systemd|disabled", description = "crun's flag, as Podman "
            + "passes it: cgroupfs (default) places a cgroup through the file system, for limits or a named "
            + "linux.cgroupsPath; systemd is "
            + "--systemd-cgroup; disabled (podman run --cgroups=disabled) places none and refuses a config's limits")
    String cgroupManager = "cgroupfs";

    @Option(names = "--rootless", paramLabel = "true|false|auto", description = "accepted for engines: rootless mode "
            + "follows the effective uid (auto)")
    String rootless = "auto";

    /** The global {@code --profile} of the command line {@code command} belongs to, or null. */
    static String globalProfile(CommandLine.Model.CommandSpec command) {
        Object top = command == null ? null : command.root().userObject();
        return top instanceof BulwarkCli cli ? cli.profile : null;
    }

    /** The global {@code --cgroup-manager} of the command line {@code command} belongs to. */
    static CgroupManager cgroupManager(CommandLine.Model.CommandSpec command) {
        Object top = command == null ? null : command.root().userObject();
        return top instanceof BulwarkCli cli ? CgroupManager.parse(cli.cgroupManager) : CgroupManager.CGROUPFS;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit status (for tests and embedding). */
    public static int execute(String... args) {
        return execute(commandLine(), args);
    }

    /**
     * Runs {@code commandLine}, one {@link #commandLine()} not run before (the native launcher's is built when its
     * image is, so no launch pays for reading picocli's annotations), and returns its exit status.
     */
    public static int execute(CommandLine commandLine, String... args) {
        LogOutput.configureOnFirstUse();
        return commandLine.execute(args);
    }

    /**
     * The whole command line, configured as {@link #execute} runs it: also the model the help test walks and the
     * man pages and shell completion are generated from.
     */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new BulwarkCli());
        commandLine.getSubcommands().get("help").getCommandSpec().usageMessage()
                .description("Print the help of COMMAND (as COMMAND --help does), or of bulwark itself without one.")
                .footer("", "Examples:", "  bulwark help run", "  bulwark help seccomp", "  bulwark help");
        commandLine.registerConverter(Path.class, new PathConverter());
        commandLine.getSubcommands().get("exec").setStopAtPositional(true); // exec ID ls -l: options after ID are the command's
        commandLine.getSubcommands().get("ps").setStopAtPositional(true); // ps ID -o pid,args: options after ID are ps(1)'s
        commandLine.setExecutionExceptionHandler(new ErrorReporter());
        commandLine.setParameterExceptionHandler(ErrorReporter::parameterError);
        commandLine.setExecutionStrategy(parseResult -> {
            ((BulwarkCli) parseResult.commandSpec().userObject()).checkGlobals();
            return new CommandLine.RunLast().execute(parseResult);
        });
        return commandLine;
    }

    /** Global options that can be refused before any verb runs. */
    private void checkGlobals() {
        if (!List.of("text", "json").contains(logFormat)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--log-format: expected text or json, got \"" + logFormat + "\"");
        }
        if (profile != null && !List.of("hardened", "oci").contains(profile.strip())) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--profile: unknown profile \"" + profile + "\" (expected hardened or oci)");
        }
        if (!List.of("true", "false", "auto").contains(rootless)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--rootless: expected true, false or auto, got \"" + rootless + "\"");
        }
        try {
            CgroupManager.parse(cgroupManager); // its one check, before any verb runs
        } catch (LaunchException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        if ((systemdCgroup || cgroupManager.equals("systemd")) && !Files.isDirectory(Path.of("/run/systemd/system"))) {
            throw new CommandLine.ExecutionException(new CommandLine(this), "--systemd-cgroup", new LaunchException((systemdCgroup ? "--systemd-cgroup" : "--cgroup-manager systemd") + ": systemd is not running on this host (no /run/systemd/system); "
                    + "leave the flag out"));
        }
    }
}
