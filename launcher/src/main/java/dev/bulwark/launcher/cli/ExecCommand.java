package dev.bulwark.launcher.cli;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.User;
import dev.bulwark.config.validation.KnownNames;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.EnvironmentFlags;
import dev.bulwark.launcher.runtime.ContainerExec;
import dev.bulwark.launcher.runtime.HostHandoff;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

/**
 * {@code bulwark exec [FLAGS] ID COMMAND...} or {@code bulwark exec --process FILE ID}: runc's exec, a new
 * process in a running container with the init's confinement ({@link ContainerExec}).
 */
@Command(name = "exec", mixinStandardHelpOptions = true, description = {
        "Run a new process inside a created or running container, as runc exec does: it joins all the container's "
                + "namespaces and its cgroup (cgroup v2 only) and is confined exactly as the container's init is, from "
                + "the config the init was made from (seccomp filter, Landlock rules, capabilities, no_new_privs, rlimits, "
                + "LSM labels). Without --process it runs COMMAND with the container's process settings (env, cwd, user, "
                + "capabilities), changed by the flags; with --process FILE (an OCI process JSON, as containerd and conmon "
                + "pass) it runs that process, and the fields the file leaves out (capabilities, noNewPrivileges, rlimits, "
                + "apparmorProfile, selinuxLabel) are the container's. Its stdin, stdout and stderr are the caller's; with --tty (or "
                + "terminal: true in the file) a pseudo-terminal made in the container's devpts instead, relayed to the "
                + "caller's terminal, or with --detach sent over --console-socket as runc does for engines.",
        "Exit status: the process's own (128+N when killed by signal N); with --detach 0 once it runs. 125: a bad flag "
                + "or process; 126: COMMAND cannot be executed; 127: not found; 255: no such container, not running, "
                + "or the process could not be set up (runc's status)."},
        footer = {"", "Examples:",
                "  bulwark exec demo ps            # its processes: the init is pid 1",
                "  bulwark exec -e FOO=bar --cwd /tmp demo sh -c 'echo $FOO; pwd'",
                "  bulwark exec --user 1000:1000 demo id",
                "  bulwark exec -p process.json --detach --pid-file exec.pid demo",
                "  bulwark exec -t demo sh        # an interactive shell on a new terminal"})
final class ExecCommand implements Callable<Integer> {
    @Option(names = {"-p", "--process"}, paramLabel = "FILE", description = "an OCI process JSON (config.json's "
            + "\"process\" object) to run instead of COMMAND; the other process flags are then refused")
    Path processFile;

    @Option(names = {"-d", "--detach"}, description = "return (exit 0, nothing printed) once the process runs, without waiting")
    boolean detach;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "write the process's host pid to FILE (atomically)")
    Path pidFile;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE", description = "set a variable (repeatable), over the "
            + "container's process.env; NAME alone takes the caller's value")
    List<String> env = new ArrayList<>();

    @Option(names = "--cwd", paramLabel = "DIR", description = "working directory in the container, absolute "
            + "(default: the container's process.cwd)")
    String cwd;

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", description = "run as this container uid (and gid; "
            + "default: the container's process.user)")
    String user;

    @Option(names = {"-g", "--additional-gids"}, paramLabel = "GID", description = "a supplementary group (repeatable)")
    List<Long> additionalGids = new ArrayList<>();

    @Option(names = {"-c", "--cap"}, paramLabel = "CAP", description = "add a capability to every set of the process "
            + "(repeatable; CAP_ optional, any case), as runc; held in the container's user namespace only")
    List<String> caps = new ArrayList<>();

    @Option(names = "--no-new-privs", description = "set no_new_privs for the process (whatever the container's config says)")
    boolean noNewPrivs;

    @Option(names = "--apparmor", paramLabel = "PROFILE", description = "the AppArmor profile of the process")
    String apparmor;

    @Option(names = "--process-label", paramLabel = "LABEL", description = "the SELinux label of the process")
    String processLabel;

    @Option(names = "--preserve-fds", paramLabel = "N", description = "pass the caller's fds 3 .. 3+N-1 to the process (default 0)")
    int preserveFds;

    @Option(names = {"-t", "--tty"}, description = "a pseudo-terminal for the process, made in the container's own devpts; "
            + "without --detach the caller's stdin and stdout are relayed to it (its terminal in raw mode meanwhile)")
    boolean tty;

    @Option(names = "--console-socket", paramLabel = "SOCKET", description = "with a terminal (--tty, or terminal: true "
            + "in --process) and --detach: the AF_UNIX stream socket the terminal's master is sent to (SCM_RIGHTS), as "
            + "conmon and containerd's shim listen")
    Path consoleSocket;

    @Option(names = "--cgroup", paramLabel = "[CONTROLLER:]PATH", description = "a sub-cgroup to run in (not supported: refused)")
    String cgroup;

    @Option(names = "--ignore-paused", description = "exec into a paused container too (the process is frozen with "
            + "it until resume); without it a paused container is refused, as runc")
    boolean ignorePaused;

    @Parameters(index = "0", paramLabel = "ID", description = "the container's id (bulwark list shows them)")
    String id;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "the command and its arguments (without --process); "
            + "options after ID belong to it")
    List<String> command = new ArrayList<>();

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        if (cgroup != null) {
            throw new LaunchException("--cgroup: running exec in a sub-cgroup is not supported");
        }
        HostHandoff.requirePreserved(preserveFds); // as run and create: open, inherited, none of the JVM's own
        List<String> args = command.isEmpty() || !command.get(0).equals("--") ? command : command.subList(1, command.size());
        UnaryOperator<Process> process = processFile != null ? fromFile(args) : fromFlags(args);
        return ContainerExec.exec(new ContainerExec.Request(stateRoot.resolve(), id, process, detach, pidFile, preserveFds,
                !detach, true, ignorePaused, consoleSocket));
    }

    /** --process FILE: that process; the fields it leaves out are the container's, as in runc. */
    private UnaryOperator<Process> fromFile(List<String> args) {
        if (!args.isEmpty()) {
            throw new LaunchException("--process: COMMAND is not taken with --process (the file's args are run)");
        }
        if (!env.isEmpty() || cwd != null || user != null || !additionalGids.isEmpty() || !caps.isEmpty() || noNewPrivs
                || apparmor != null || processLabel != null) {
            throw new LaunchException("--process: --env, --cwd, --user, --additional-gids, --cap, --no-new-privs, --apparmor"
                    + " and --process-label are not taken with --process; put them in the file");
        }
        Process given = readProcess(processFile);
        return container -> new Process(tty ? Boolean.TRUE : given.terminal(), given.consoleSize(), given.user(), given.args(), given.commandLine(),
                given.env(), given.cwd(), given.capabilities() != null ? given.capabilities() : container.capabilities(),
                given.rlimits().isEmpty() ? container.rlimits() : given.rlimits(),
                given.noNewPrivileges() != null ? given.noNewPrivileges() : container.noNewPrivileges(),
                given.apparmorProfile() != null ? given.apparmorProfile() : container.apparmorProfile(),
                given.oomScoreAdj(), given.scheduler(),
                given.selinuxLabel() != null ? given.selinuxLabel() : container.selinuxLabel(), given.ioPriority());
    }

    /** The file's process, parsed as config.json's "process" is: a bad field is one line naming it. */
    static Process readProcess(Path file) {
        String shown = "--process " + file;
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LaunchException(shown + ": no such file");
        } catch (IOException e) {
            throw new LaunchException(shown + ": " + e.getMessage());
        }
        Process process;
        try { // inside a config's "process" on the same first line: the parser names fields process.* and keeps lines
            process = SpecParser.parse(new java.io.ByteArrayInputStream(("{\"process\": " + text + "\n}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)), shown).process();
        } catch (SpecParseException e) {
            throw new LaunchException(e.getMessage().lines().findFirst().orElse(shown + ": not valid JSON"));
        } catch (IOException e) {
            throw new LaunchException(shown + ": " + e.getMessage());
        }
        if (process == null) {
            throw new LaunchException(shown + ": expected a process object");
        }
        return process;
    }

    /** COMMAND with the container's process settings, changed by the flags, as runc builds it. */
    private UnaryOperator<Process> fromFlags(List<String> args) {
        if (args.isEmpty()) {
            throw new LaunchException("COMMAND: missing (bulwark exec [FLAGS] ID COMMAND..., or --process FILE)");
        }
        List<String> added = new ArrayList<>();
        for (String cap : caps) {
            String name = cap.strip().toUpperCase(Locale.ROOT);
            name = name.startsWith("CAP_") ? name : "CAP_" + name;
            if (!KnownNames.CAPABILITIES.contains(name)) {
                throw new LaunchException("--cap: unknown capability \"" + cap + "\" (see capabilities(7); e.g. NET_BIND_SERVICE)");
            }
            added.add(name);
        }
        long[] ids = user == null ? null : parseUser(user);
        if (cwd != null && !cwd.startsWith("/")) {
            throw new LaunchException("--cwd: \"" + cwd + "\" must be an absolute path");
        }
        Map<String, String> callerEnv = System.getenv();
        return container -> {
            Process process = container.withArgs(List.copyOf(args)).withTerminal(tty)
                    .withEnv(EnvironmentFlags.merge(container.env(), List.of(), env, callerEnv));
            if (cwd != null) {
                process = process.withCwd(cwd);
            }
            User base = container.user() == null ? new User(0, 0, null, List.of(), null) : container.user();
            if (ids != null || !additionalGids.isEmpty()) {
                process = process.withUser(new User(ids == null ? base.uid() : ids[0],
                        ids == null || ids[1] < 0 ? base.gid() : ids[1], base.umask(),
                        additionalGids.isEmpty() ? base.additionalGids() : List.copyOf(additionalGids), base.username()));
            }
            if (!added.isEmpty()) {
                LinuxCapabilities c = container.capabilities() == null ? LinuxCapabilities.none() : container.capabilities();
                process = process.withCapabilities(new LinuxCapabilities(plus(c.bounding(), added), plus(c.effective(), added),
                        plus(c.inheritable(), added), plus(c.permitted(), added), plus(c.ambient(), added)));
            }
            if (noNewPrivs) {
                process = process.withNoNewPrivileges(true);
            }
            if (apparmor != null || processLabel != null) {
                process = new Process(process.terminal(), process.consoleSize(), process.user(), process.args(),
                        process.commandLine(), process.env(), process.cwd(), process.capabilities(), process.rlimits(),
                        process.noNewPrivileges(), apparmor != null ? apparmor : process.apparmorProfile(),
                        process.oomScoreAdj(), process.scheduler(),
                        processLabel != null ? processLabel : process.selinuxLabel(), process.ioPriority());
            }
            return process;
        };
    }

    private static List<String> plus(List<String> set, List<String> added) {
        List<String> result = new ArrayList<>(set == null ? List.of() : set);
        added.stream().filter(cap -> !result.contains(cap)).forEach(result::add);
        return result;
    }

    /** UID or UID:GID as numbers; gid -1 when only the uid is given (runc keeps the container's gid then). */
    static long[] parseUser(String value) {
        if (!value.matches("\\d{1,10}(:\\d{1,10})?")) {
            throw new LaunchException("--user: expected UID[:GID] as numbers, got \"" + value + "\"");
        }
        String[] parts = value.split(":");
        return new long[] {Long.parseLong(parts[0]), parts.length > 1 ? Long.parseLong(parts[1]) : -1};
    }
}
