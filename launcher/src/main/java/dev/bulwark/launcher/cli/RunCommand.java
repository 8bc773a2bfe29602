package dev.bulwark.launcher.cli;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.BuiltInDefault;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.plan.ProfileSelection;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.StateRoot;
import dev.bulwark.launcher.runtime.ContainerRun;
import dev.bulwark.launcher.runtime.LaunchStep;
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
                + "warning, and an annotation other than \"off\" is refused."})
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR", description = "run the bundle DIR (its config.json) instead of the "
            + "built-in default; without it, only runc's form \"run ID\" uses the current directory's config.json")
    Path bundle;

    @Option(names = "--id", description = "container id (default: bulwark-<random>)")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Option(names = "--explain", description = "narrate every step as it happens, in plain words, on stderr")
    boolean explain;

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

    @Option(names = {"-d", "--detach"}, description = "with a bundle: create and start the container, then return (as runc run -d)")
    boolean detach;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "with --detach: write the init's host pid to FILE")
    Path pidFile;

    @Option(names = "--stop-timeout", paramLabel = "SECONDS", description = "on SIGTERM or SIGINT the launcher relays the "
            + "signal to the container, waits SECONDS (default 10, as podman's; 0: kill at once) for it to exit, then kills "
            + "it (its cgroup, its pid namespace; exit status 137); the same signal again kills at once. "
            + "SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are relayed only")
    Integer stopTimeout;

    @Option(names = "--init", description = "run tini (Debian's package tini, /usr/bin/tini-static, mounted read-only at "
            + "/dev/init) as the container's pid 1: it relays signals to the command's process group and reaps orphaned "
            + "zombies. In a bundle: the annotation \"dev.bulwark.init\": \"tini\"")
    boolean init;

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
        boolean hostRootAllowed = effective.hostRootAllowed();
        LsmHost lsm = effective.lsm();
        Path root = stateRoot.resolve();
        if (detach) {
            if (builtIn) {
                throw new LaunchException("--detach: needs a bundle (the built-in default runs in the foreground)");
            }
            if (stopTimeout != null) {
                throw new LaunchException("--stop-timeout: applies to a foreground run; stop a detached container with kill");
            }
            ParentHardening.makeLauncherNonDumpable();
            ContainerRun.create(new RunRequest(spec, bundleDirectory(), containerId, false, root, hostRootAllowed,
                    hostIdRange, null, testPause, new RunRequest.CreateOptions(pidFile, 0), lsm));
            try (StateRoot opened = StateRoot.open(root).orElseThrow()) {
                Container.load(opened, new ContainerId(containerId)).start();
            }
            return 0;
        }
        ParentHardening.makeLauncherNonDumpable();
        try (SignalForwarding signals = SignalForwarding.install()) {
            Duration timeout = stopTimeout == null ? ContainerStop.DEFAULT_TIMEOUT : Duration.ofSeconds(stopTimeout);
            RunResult result = ContainerRun.run(new RunRequest(spec, builtIn ? null : bundleDirectory(), containerId, builtIn,
                    root, hostRootAllowed, hostIdRange, explain ? System.err : null, testPause, null, lsm,
                    new RunRequest.Foreground(signals, timeout)));
            return result.exitStatus();
        }
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
