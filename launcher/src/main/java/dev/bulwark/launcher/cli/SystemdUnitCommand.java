package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.ContainerStop;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bulwark systemd-unit [--notify] [RUN FLAGS] -- CMD}: prints a systemd service unit whose
 * ExecStart is {@code bulwark run} with the same flags (parsed by {@link RunCommand}'s own options, so they
 * are the same flags with the same checks). The launcher is the unit's main process: systemd's SIGTERM
 * reaches it, it relays it and kills the container after --stop-timeout, and exits with the workload's
 * status, so the unit needs no ExecStop; {@code KillMode=mixed} sends that SIGTERM to the launcher alone
 * (the container's pid 1 would ignore it, and the stop timeout would be bypassed) and SIGKILLs whatever
 * is left once {@code TimeoutStopSec} (the stop timeout plus a margin) has passed.
 */
@Command(name = "systemd-unit", mixinStandardHelpOptions = true, sortOptions = false, description = {
        "Print a systemd service unit that runs 'bulwark run [RUN FLAGS] -- CMD' (every flag of run is accepted, "
                + "with its meaning and checks).",
        "",
        "Type=exec, or Type=notify with --notify (the workload calls sd_notify READY=1; bulwark relays NOTIFY_SOCKET "
                + "from the container, and stays the unit's main process). KillMode=mixed: systemd's SIGTERM goes to the "
                + "launcher, which relays it and kills the container after --stop-timeout (default 10 s); "
                + "TimeoutStopSec is that plus 5 s. No ExecStop is needed. WorkingDirectory is the current directory, "
                + "so relative paths in the flags keep their meaning.",
        "",
        "Socket activation: with a .socket unit of the same name, the listening sockets are passed on to the workload "
                + "(LISTEN_FDS, LISTEN_PID rewritten for it), so a container with no network of its own can serve them.",
        "",
        "Install: as root, save as /etc/systemd/system/NAME.service; rootless, as ~/.config/systemd/user/NAME.service "
                + "(systemctl --user). Then systemctl daemon-reload and systemctl start NAME.",
        ""}, footer = {"", "Examples:",
        "  bulwark systemd-unit --notify --init -- python3 /srv/app.py \\",
        "      > /etc/systemd/system/app.service",
        "  bulwark systemd-unit --stop-timeout 20 --network none -- /srv/serve"})
final class SystemdUnitCommand implements Callable<Integer> {
    /** Seconds systemd waits beyond the launcher's stop timeout: the kill, the reaping and the clean-up. */
    static final int STOP_MARGIN_SECONDS = 5;

    @Option(names = "--notify", description = "Type=notify: the workload tells systemd when it is ready (sd_notify READY=1)")
    boolean notify;

    @Option(names = "--description", paramLabel = "TEXT", description = "the unit's Description= (default: the command)")
    String description;

    @Option(names = "--bulwark", paramLabel = "PATH", description = "the bulwark executable ExecStart runs (default: the "
            + "bin/bulwark this launcher was started from)")
    Path bulwark;

    @Mixin
    RunCommand run;

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec commandSpec;

    @Override
    public Integer call() {
        if (run.detach) {
            throw new LaunchException("--detach: systemd-unit writes a unit for a foreground run (Type=exec or notify); "
                    + "leave --detach out");
        }
        if (run.stopTimeout != null && run.stopTimeout < 0) {
            throw new LaunchException("--stop-timeout: " + run.stopTimeout + " is negative; give seconds, 0 to kill at once");
        }
        CommandLine.ParseResult parsed = commandSpec.commandLine().getParseResult();
        boolean afterDoubleDash = parsed.originalArgs().contains("--");
        if (run.command.isEmpty() && run.bundle == null) {
            throw new LaunchException("systemd-unit: give the command after --, or --bundle DIR");
        }
        if (!run.command.isEmpty() && !afterDoubleDash) {
            throw new LaunchException("systemd-unit: put the command after -- (\"" + run.command.get(0) + "\")");
        }
        List<String> execStart = new ArrayList<>();
        execStart.add(executable().toString());
        execStart.add("run");
        execStart.addAll(runFlags(parsed));
        if (!run.command.isEmpty()) {
            execStart.add("--");
            execStart.addAll(run.command);
        }
        long stopTimeout = run.stopTimeout != null ? run.stopTimeout : ContainerStop.DEFAULT_TIMEOUT.toSeconds();
        String text = description != null ? description
                : "bulwark: " + (run.command.isEmpty() ? "bundle " + run.bundle : String.join(" ", run.command));
        commandSpec.commandLine().getOut().print(SystemdUnit.render(text, notify, execStart,
                Path.of("").toAbsolutePath(), stopTimeout + STOP_MARGIN_SECONDS, dev.bulwark.nativ.Syscalls.geteuid() != 0));
        commandSpec.commandLine().getOut().flush();
        return 0;
    }

    /** The run flags as given (each option with its values), this command's own options left out. */
    private List<String> runFlags(CommandLine.ParseResult parsed) {
        List<String> flags = new ArrayList<>();
        // matchedOptions() lists an option once per occurrence, each time with all its values
        for (CommandLine.Model.OptionSpec option : new java.util.LinkedHashSet<>(parsed.matchedOptions())) {
            if (option.userObject() instanceof java.lang.reflect.Field field
                    && field.getDeclaringClass() == SystemdUnitCommand.class) {
                continue;
            }
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            String name = option.longestName();
            if (option.arity().max() == 0) {
                flags.add(name);
                continue;
            }
            for (String value : option.originalStringValues()) {
                flags.add(name + "=" + value);
            }
        }
        return flags;
    }

    private Path executable() {
        if (bulwark != null) {
            if (!bulwark.isAbsolute() && !bulwark.toString().contains("/")) {
                throw new LaunchException("--bulwark: give a path (\"" + bulwark + "\" would be looked up in systemd's PATH)");
            }
            Path absolute = bulwark.toAbsolutePath().normalize();
            if (!Files.isRegularFile(absolute) || !Files.isExecutable(absolute)) {
                throw new LaunchException("--bulwark: " + absolute + " is not an executable file");
            }
            return absolute;
        }
        try {
            Path code = Path.of(SystemdUnitCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = code.getParent(); dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve("bin").resolve("bulwark");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // no usable code source: ask for the path below
        }
        throw new LaunchException("--bulwark: bin/bulwark not found above this launcher's jar; give --bulwark PATH");
    }
}
