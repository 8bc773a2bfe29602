package dev.bulwark.launcher.cli;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.model.User;
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
import dev.bulwark.launcher.runtime.LaunchPlan;
import dev.bulwark.launcher.setup.LsmSteps;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

/** {@code bulwark run}: runs a bundle's config.json, or a command in the built-in hardened container. */
@Command(name = "run", mixinStandardHelpOptions = true, description = {
        "Run a container and wait for it; exits with its status (128+N when killed by signal N).",
        "With a command after -- and no --bundle: the built-in hardened default, whose read-only root is the host's /usr.",
        "With a bundle (--bundle DIR, or config.json in the current directory), runc's form works too: run [-b DIR] ID.",
        "Exit status 125: launcher error; 126: the command cannot be executed; 127: not found."})
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-b", "--bundle"}, description = "bundle directory holding config.json (default: the current directory when it has one)")
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

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "built-in default only: add an environment variable")
    List<String> env = new ArrayList<>();

    @Option(names = "--cwd", description = "built-in default only: working directory (default /)")
    String cwd;

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", description = "built-in default only: run as this container user")
    String user;

    @Option(names = "--memory", paramLabel = "SIZE", description = "built-in default only: memory limit, e.g. 64m or 1g (no swap); "
            + "an explicit limit: the run fails if the host cannot apply it")
    String memory;

    @Option(names = "--pids", paramLabel = "N", description = "built-in default only: limit on processes and threads (explicit)")
    Long pids;

    @Option(names = "--cpus", paramLabel = "CPUS", description = "built-in default only: CPU bandwidth, e.g. 0.5 (explicit)")
    Double cpus;

    @Option(names = "--mount", paramLabel = "SRC:DST[:rw]",
            description = "built-in default only: bind the host path SRC at DST, read-only unless :rw (an explicit loosening)")
    List<String> binds = new ArrayList<>();

    @Option(names = "--allow-missing-lsm",
            description = "run without an AppArmor profile or SELinux label the config asks for when this host lacks that LSM (warns)")
    boolean allowMissingLsm;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = {"-d", "--detach"}, description = "with a bundle: create and start the container, then return (as runc run -d)")
    boolean detach;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "with --detach: write the init's host pid to FILE")
    Path pidFile;

    @Option(names = {"--no-pivot", "--no-new-keyring"}, description = "accepted for engines")
    boolean acceptedForEngines;

    @Parameters(paramLabel = "COMMAND", description = "command and arguments (after --); with a bundle, no --id and no --, a single word is the container id (runc's form)")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        boolean afterDoubleDash = commandSpec.commandLine().getParseResult().originalArgs().contains("--");
        // "run -- CMD" always means the built-in default: a config.json in the working directory is a bundle
        // only when asked for (--bundle) or in runc's "run ID" form, never picked up behind a command.
        boolean builtIn = bundle == null && !command.isEmpty() && (afterDoubleDash || !Files.exists(Path.of("config.json")));
        if (!builtIn && id == null && command.size() == 1 && !afterDoubleDash) {
            id = command.remove(0); // runc's `run [-b DIR] ID`
        }
        String containerId = id != null ? ContainerId.parse(id, "--id").value()
                : "bulwark-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        LaunchStep testPause = LaunchStep.fromEnvironment();
        int euid = Syscalls.geteuid();
        Profile selected = builtIn ? Profile.HARDENED : ProfileSelection.of(profile, BulwarkCli.globalProfile(commandSpec)).profile();
        Spec spec = selected.apply(LaunchPlan.validatedAsWritten(builtIn ? builtInSpec(euid) : bundleSpec(), euid != 0));
        // The oci profile runs what the config says, host root included (as runc does); hardened asks for confirmation.
        boolean hostRootAllowed = allowHostRoot || selected.effectiveFor(spec) == Profile.OCI;
        LsmHost lsm = LsmHost.probe(); // once for this launch: the labels decided here and the child's steps agree
        spec = LsmSteps.forLaunch(spec, lsm, selected.effectiveFor(spec) == Profile.OCI, allowMissingLsm);
        Path root = stateRoot.resolve();
        if (detach) {
            if (builtIn) {
                throw new LaunchException("--detach: needs a bundle (the built-in default runs in the foreground)");
            }
            ParentHardening.makeLauncherNonDumpable();
            ContainerRun.create(new RunRequest(spec, bundleDirectory(), containerId, false, root, hostRootAllowed,
                    hostIdRange, null, testPause, new RunRequest.CreateOptions(pidFile, 0), lsm));
            try (StateRoot opened = StateRoot.open(root).orElseThrow()) {
                Container.load(opened, new ContainerId(containerId)).start();
            }
            return 0;
        }
        SignalForwarding.enable();
        ParentHardening.makeLauncherNonDumpable();
        try {
            RunResult result = ContainerRun.run(new RunRequest(spec, builtIn ? null : bundleDirectory(), containerId, builtIn,
                    root, hostRootAllowed, hostIdRange, explain ? System.err : null, testPause, null, lsm));
            return result.exitStatus();
        } finally {
            SignalForwarding.disable();
        }
    }

    private Path bundleDirectory() {
        return bundle != null ? bundle.toAbsolutePath() : Path.of("").toAbsolutePath();
    }

    private Spec bundleSpec() {
        if (!env.isEmpty() || cwd != null || user != null || !binds.isEmpty() || memory != null || pids != null
                || cpus != null) {
            throw new LaunchException("--env, --cwd, --user, --mount, --memory, --pids and --cpus apply to the built-in default; "
                    + "edit config.json instead");
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

    /** The built-in default with this command's --env, --cwd and --user applied. */
    private Spec builtInSpec(int euid) {
        Spec spec = BuiltInDefault.spec(euid, Syscalls.getegid(), command);
        Process p = spec.process();
        List<String> environment = new ArrayList<>(p.env());
        environment.addAll(env);
        User u = p.user();
        if (user != null) {
            if (!user.matches("\\d{1,10}(:\\d{1,10})?")) {
                throw new LaunchException("--user: expected UID[:GID] as numbers, got \"" + user + "\"");
            }
            String[] parts = user.split(":");
            long uid = Long.parseLong(parts[0]);
            long gid = parts.length > 1 ? Long.parseLong(parts[1]) : uid;
            u = new User(uid, gid, u.umask(), List.of(), null);
        }
        Spec edited = spec.withProcess(p.withUser(u).withEnv(environment).withCwd(cwd != null ? cwd : p.cwd()));
        return ResourceFlags.apply(withBinds(edited), memory, pids, cpus);
    }

    /** --mount SRC:DST[:ro|rw]: host paths bound into the built-in default, read-only unless :rw. */
    private Spec withBinds(Spec spec) {
        if (binds.isEmpty()) {
            return spec;
        }
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        for (String bind : binds) {
            String[] parts = bind.split(":");
            boolean writable = parts.length == 3 && parts[2].equals("rw");
            if (parts.length < 2 || parts.length > 3 || parts.length == 3 && !writable && !parts[2].equals("ro")
                    || !parts[0].startsWith("/") || !parts[1].startsWith("/")) {
                throw new LaunchException("--mount: expected SRC:DST[:ro|rw] with absolute paths, got \"" + bind + "\"");
            }
            mounts.add(new Mount(parts[1], "bind", parts[0], List.of("rbind", "nosuid", "nodev", writable ? "rw" : "ro")));
        }
        return spec.withMounts(mounts);
    }
}
