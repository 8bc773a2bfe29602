package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.EffectiveConfig;
import dev.bulwark.launcher.plan.FileErrors;
import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.BuiltInDefault;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.plan.ProfileSelection;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerRun;
import dev.bulwark.launcher.runtime.HostHandoff;
import dev.bulwark.launcher.runtime.LaunchStep;
import dev.bulwark.launcher.runtime.NarrationStream;
import dev.bulwark.launcher.setup.Narration;
import dev.bulwark.launcher.runtime.ParentHardening;
import dev.bulwark.launcher.runtime.RunRequest;
import dev.bulwark.launcher.runtime.RunResult;
import dev.bulwark.launcher.runtime.SignalForwarding;
import dev.bulwark.launcher.runtime.ContainerStop;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/** {@code bulwark run}: runs a bundle's config.json, or a command in the built-in hardened container. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false, description = {
        "Run a container and wait for it; exits with its status (128+N when killed by signal N).",
        "",
        "bulwark run [FLAGS] -- CMD [ARG...]: always the built-in hardened default container, whose read-only root "
                + "is the host's /usr, even in a directory that holds a config.json. The flags marked 'built-in default "
                + "only' shape it, each with the meaning podman run gives it.",
        "",
        "bulwark run -b DIR [--id ID | ID] [-- CMD [ARG...]]: the bundle DIR (its config.json); a command after -- "
                + "replaces process.args. A bundle is chosen with -b/--bundle, or by runc's form below, never otherwise.",
        "",
        "bulwark run ID: runc's form (one word, no --, no --id) runs the bundle in the current directory (its "
                + "config.json), as runc does and as the engines that drive it expect. Without a config.json there, "
                + "the word is a command for the built-in default.",
        "",
        "bulwark run --detach [--pid-file F] [FLAGS] -- CMD: create and start, print the id, return; no launcher stays "
                + "resident (systemd Type=forking with PIDFile=F supervises the container's init itself). Output: bulwark logs ID.",
        "",
        "Flags marked 'built-in default only' given with a bundle are refused: edit its config.json instead.",
        "Exit status 125: launcher error; 126: the command cannot be executed; 127: not found.",
        ""},
        footer = {"",
        "Landlock (filesystem access rules Bulwark applies on top of mounts and permissions): the built-in default, "
                + "and any config under the hardened profile without the annotation below, gets the default rules: read "
                + "and execute everywhere; write only in /tmp, /dev/shm, /dev/mqueue, /proc/self, the default devices, "
                + "every rw bind mount (--mount SRC:DST:rw, -v SRC:DST:rw) and every tmpfs mount (--tmpfs DST) that is "
                + "not ro, and everywhere when the root is writable (--read-only=false). Device nodes can never be created.",
        "",
        "In a bundle's config.json the annotation \"dev.bulwark.landlock\" replaces the default rules: \"off\", or "
                + "\"PATH=RIGHTS;PATH=RIGHTS...\" with container paths, each rule covering everything beneath its path, "
                + "RIGHTS being letters: r read files and list directories, w write, create, remove, rename and truncate, "
                + "x execute, d ioctl on devices. What no rule grants is denied (EACCES). Example: "
                + "\"/=rx;/tmp=rw;/data=rw\". On a kernel without Landlock the default rules are skipped with a "
                + "warning, and an annotation other than \"off\" is refused.",
        "",
        "Under systemd: socket activation (LISTEN_FDS, see --preserve-fds) is passed on; NOTIFY_SOCKET is relayed: the "
                + "container gets its own NOTIFY_SOCKET (/run/notify/notify.sock; /dev/notify.sock in a bundle) and the "
                + "launcher sends its messages on, as the unit's main process (MAINPID= dropped). "
                + "'bulwark systemd-unit [--notify] [FLAGS] -- CMD' prints a unit for this run.",
        "", "Examples:",
        "  bulwark run -- /bin/sh -c 'id; hostname'       # built-in hardened container",
        "  bulwark run --explain -- /bin/true              # every setup step, narrated",
        "  bulwark run --memory 64m --pids 100 --mount /srv/data:/data -- /bin/ls /data",
        "  bulwark run -b mybundle --id demo               # a bundle's config.json"})
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR", description = "run the bundle DIR (its config.json) instead of the "
            + "built-in default; without it, only runc's form \"run ID\" uses the current directory's config.json")
    Path bundle;

    @Option(names = "--id", paramLabel = "ID", description = "container id (default: bulwark-<random>)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Option(names = "--explain", arity = "0..1", fallbackValue = "full", paramLabel = "brief|full",
            preprocessor = ExplainLevel.class,
            description = "narrate the launch on stderr, each line prefixed [bulwark], all of them before the workload's "
                    + "first output: full (the default for a plain --explain) every step, runs of like steps on one line; "
                    + "brief one line per layer")
    String explain;

    @Option(names = "--trace", description = "print every step of the child's program as it happens, as bulwark plan shows "
            + "it: the syscall and its arguments, the config field, why, and the command that does the same by hand")
    boolean trace;

    @Option(names = "--allow-host-root", description = "confirm a config that maps container ids onto host root "
            + "(needed under the hardened profile only)")
    boolean allowHostRoot;

    @Option(names = "--profile", paramLabel = "hardened|oci", description = "oci (default): the config means what the runtime spec "
            + "says; hardened: add a user namespace, no_new_privs, the default seccomp profile, a read-only root. "
            + "Default from the global --profile before the verb, then BULWARK_PROFILE, then /etc/bulwark/bulwark.json {\"profile\": ...}, then oci")
    String profile;

    @Option(names = "--host-id-range", paramLabel = "START[:SIZE]", converter = HostIdRange.class,
            description = "host uid/gid range container ids map onto when running as root (default: 1000000000:65536)")
    LinuxIdMapping hostIdRange = HostIdRange.defaultRange();

    @Mixin
    DefaultContainerOptions defaults;

    @Mixin
    NetworkFlags network;

    @Option(names = "--allow-missing-lsm",
            description = "run without an AppArmor profile or SELinux label the config asks for when this host lacks that LSM (warns)")
    boolean allowMissingLsm;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = {"-d", "--detach"}, description = "create and start the container, then return (as runc run -d): no "
            + "launcher stays resident; stop it with kill, remove it with delete. The built-in default prints its id, and its "
            + "stdout and stderr go to a log in its state directory (bulwark logs ID): one file, both streams interleaved, "
            + "stdin /dev/null. A bundle keeps the caller's stdio, as runc run -d (see --log-driver)")
    boolean detach;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "with --detach: write the init's host pid to FILE "
            + "(atomically, before the workload starts), for systemd's Type=forking with PIDFile=FILE")
    Path pidFile;

    @Option(names = "--log-driver", paramLabel = "file|passthrough", description = "with --detach: file (the built-in "
            + "default's): the workload's stdout and stderr go to the log in its state directory; passthrough (a bundle's): "
            + "they stay the caller's (runc run -d), e.g. systemd's journal")
    String logDriver;

    @Option(names = "--stop-timeout", paramLabel = "SECONDS", description = "on SIGTERM or SIGINT the launcher relays the "
            + "signal to the container, waits SECONDS (default 10, as podman's; 0: kill at once) for it to exit, then kills "
            + "it (its cgroup, its pid namespace; exit status 137); the same signal again kills at once. "
            + "SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are relayed only")
    Integer stopTimeout;

    @Option(names = "--init", description = "run tini (Debian's package tini, /usr/bin/tini-static, mounted read-only at "
            + "/dev/init) as the container's pid 1: it relays signals to the command's process group and reaps orphaned "
            + "zombies. In a bundle: the annotation \"dev.bulwark.init\": \"tini\"")
    boolean init;

    @Mixin
    HandoffOptions handoff;

    @Option(names = {"--no-pivot", "--no-new-keyring"}, description = "accepted for engines")
    boolean acceptedForEngines;

    @Parameters(paramLabel = "COMMAND", description = "command and arguments, after --; without --, a single word is the container id "
            + "when --bundle is given or the current directory holds a config.json (runc's form)")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        boolean afterDoubleDash = commandSpec.commandLine().getParseResult().originalArgs().contains("--");
        // "run -- CMD" always means the built-in default: a config.json in the working directory is a bundle
        // only when asked for (--bundle) or in runc's "run ID" form, never picked up behind a command.
        // runc's "run ID" (one word, no --, no --id) is the working directory's bundle when it holds a config.json.
        boolean runcForm = !afterDoubleDash && command.size() == 1 && id == null && Files.exists(Path.of("config.json"));
        boolean builtIn = bundle == null && !command.isEmpty() && !runcForm;
        if (!builtIn && id == null && command.size() == 1 && !afterDoubleDash) {
            id = command.remove(0); // runc's `run [-b DIR] ID`
        }
        String containerId = id != null ? ContainerId.parse(id, "--id").value()
                : "bulwark-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        LaunchStep testPause = LaunchStep.fromEnvironment();
        int euid = Syscalls.geteuid();
        Profile selected = builtIn ? Profile.HARDENED : ProfileSelection.of(profile, BulwarkCli.globalProfile(commandSpec)).profile();
        EffectiveConfig effective = EffectiveConfig.of(builtIn ? builtInSpec(euid) : bundleSpec(), selected, euid != 0, init,
                allowHostRoot, allowMissingLsm);
        if (stopTimeout != null && stopTimeout < 0) {
            throw new LaunchException("--stop-timeout: " + stopTimeout + " is negative; give seconds, 0 to kill at once");
        }
        Spec spec = effective.spec();
        if (!builtIn) { // the built-in default's own limits fall back to rlimits wherever no cgroup can hold them
            spec = BulwarkCli.cgroupManager(commandSpec).apply(spec);
        }
        boolean hostRootAllowed = effective.hostRootAllowed();
        LsmHost lsm = effective.lsm();
        Path root = stateRoot.resolve();
        if (detach) {
            if (stopTimeout != null) {
                throw new LaunchException("--stop-timeout: applies to a foreground run; stop a detached container with kill");
            }
            if (explain != null || trace) {
                throw new LaunchException((trace ? "--trace" : "--explain") + ": narrates a foreground run; not with --detach");
            }
            if (Boolean.TRUE.equals(spec.process().terminal())) {
                throw new LaunchException((builtIn ? "--tty" : "process.terminal") + ": a detached run leaves no launcher to "
                        + "relay a terminal (cannot allocate tty if runc will detach without setting console socket); "
                        + "use create --console-socket");
            }
            DetachedRun.checkPidFile(pidFile);
            boolean logToState = DetachedRun.LogDriver.of(logDriver, builtIn) == DetachedRun.LogDriver.FILE;
            HostHandoff passed = handoff.handoff(false);
            ParentHardening.makeLauncherNonDumpable();
            return DetachedRun.createAndStart(new RunRequest(spec, builtIn ? null : bundleDirectory(), containerId, builtIn,
                    root, hostRootAllowed, hostIdRange, null, testPause,
                    new RunRequest.CreateOptions(pidFile, handoff.preserveFds, logToState), lsm, null, passed));
        }
        if (logDriver != null) {
            throw new LaunchException("--log-driver: applies with --detach (a foreground run's output is the launcher's)");
        }
        if (pidFile != null) { // never silently dropped: a supervisor would read a file nobody wrote
            throw new LaunchException("--pid-file: applies with --detach (a foreground run's pid is the launcher's own)");
        }
        HostHandoff passed = handoff.handoff(true);
        ParentHardening.makeLauncherNonDumpable();
        try (SignalForwarding signals = SignalForwarding.install()) {
            Duration timeout = stopTimeout == null ? ContainerStop.DEFAULT_TIMEOUT : Duration.ofSeconds(stopTimeout);
            RunResult result = ContainerRun.run(new RunRequest(spec, builtIn ? null : bundleDirectory(), containerId, builtIn,
                    root, hostRootAllowed, hostIdRange, narration(), testPause, null, lsm,
                    new RunRequest.Foreground(signals, timeout), passed));
            return result.exitStatus();
        }
    }

    /**
     * --explain's value is optional and only ever brief or full: a next word that is neither stays the command
     * ({@code run --explain /bin/true}), as before the option took a value. {@code --explain=X} is judged as given.
     */
    static final class ExplainLevel implements picocli.CommandLine.IParameterPreprocessor {
        @Override
        public boolean preprocess(java.util.Stack<String> args, picocli.CommandLine.Model.CommandSpec command,
                                  picocli.CommandLine.Model.ArgSpec option, java.util.Map<String, Object> info) {
            boolean detached = " ".equals(info.get("separator"));
            if (detached && (args.isEmpty() || !List.of("brief", "full").contains(args.peek()))) {
                args.push("full"); // as if --explain=full: picocli then leaves the next word alone
            }
            return false;
        }
    }

    /** Where --explain or --trace narrate (stderr), or null for neither. */
    private java.io.PrintStream narration() {
        if (trace) {
            return new NarrationStream(System.err, Narration.Detail.TRACE);
        }
        return explain == null ? null : new NarrationStream(System.err, Narration.Detail.parse(explain, "--explain"));
    }

    private Path bundleDirectory() {
        return bundle != null ? bundle.toAbsolutePath() : Path.of("").toAbsolutePath();
    }

    private Spec bundleSpec() {
        List<String> given = new ArrayList<>(defaults.given());
        given.addAll(network.given());
        if (!given.isEmpty()) {
            throw new LaunchException(String.join(", ", given) + ": " + (given.size() == 1 ? "applies" : "apply")
                    + " to the built-in default (run [flags] -- CMD) only; with a bundle, edit its config.json");
        }
        Path config = bundleDirectory().resolve("config.json");
        if (!Files.exists(config)) {
            throw new LaunchException("no config.json in " + bundleDirectory()
                    + "; pass --bundle DIR, or a command after -- for the built-in default");
        }
        try {
            Spec spec = SpecParser.parse(config);
            if (!command.isEmpty() && spec.process() != null) { // without a process, validation says "process: required"
                spec = spec.withProcess(spec.process().withArgs(command));
            }
            return spec;
        } catch (SpecParseException e) {
            throw new LaunchException(e.getMessage());
        } catch (IOException e) {
            throw new LaunchException("reading " + config + ": " + FileErrors.reason(e), e);
        }
    }

    /** The built-in default with this command's flags applied. */
    private Spec builtInSpec(int euid) {
        return network.applyTo(defaults.applyTo(BuiltInDefault.spec(euid, Syscalls.getegid(), command)), euid != 0);
    }
}
