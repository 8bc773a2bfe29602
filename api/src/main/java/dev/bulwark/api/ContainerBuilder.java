package dev.bulwark.api;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.Root;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.BuiltInDefault;
import dev.bulwark.launcher.plan.ContainerNetwork;
import dev.bulwark.launcher.plan.DefaultContainerSettings;
import dev.bulwark.launcher.plan.EffectiveConfig;
import dev.bulwark.launcher.plan.MountArguments;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.runtime.LaunchMemo;
import dev.bulwark.launcher.runtime.StateRoot;
import dev.bulwark.nativ.Syscalls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A container to start: Bulwark's hardened built-in default (a root assembled from the host's /usr, a
 * user namespace, no capabilities, the default seccomp filter, Landlock, a read-only root, a network
 * namespace with only loopback) unless told otherwise. Each setting means what the same
 * {@code bulwark run} flag means; the translation is the CLI's own. Not thread-safe: build on one
 * thread, then {@link #start()} as often as needed, from any thread.
 */
public final class ContainerBuilder {
    /** Where the container's root comes from. */
    private enum RootKind { HOST_USR, ROOTFS, BUNDLE }

    /** The host ids a container started by root maps (as the CLI's default --host-id-range). */
    private static final LinuxIdMapping HOST_ID_RANGE = new LinuxIdMapping(0, DefaultsOptions.DEFAULT_HOST_ID_START,
            DefaultsOptions.DEFAULT_ID_RANGE_SIZE);

    private RootKind rootKind = RootKind.HOST_USR;
    private Path rootDirectory;
    private final List<String> command = new ArrayList<>();
    private final List<String> env = new ArrayList<>();
    private String workdir;
    private String user;
    private String hostname;
    private final List<String> mountArguments = new ArrayList<>(); // parsed at start: a bad one is a ContainerException
    private String network;
    private final List<Publish> published = new ArrayList<>();
    private String memory;
    private Long pids;
    private Double cpus;
    private final List<String> capAdd = new ArrayList<>();
    private Path seccompProfile;
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private Profile profile = Profile.HARDENED;
    private Boolean readOnlyRoot;
    private String id;
    private Path stateRoot;
    private boolean explain;
    private String readyText;
    private Duration readyTimeout;
    private boolean openStdin;
    private long outputLimit = DEFAULT_OUTPUT_LIMIT;
    private final CopiedFiles copiedFiles = new CopiedFiles();

    /** How many bytes of each of stdout and stderr are kept unless {@link #outputLimit} says otherwise. */
    public static final long DEFAULT_OUTPUT_LIMIT = 16L << 20;

    /** One published port; host port 0 picks a free one at start. */
    private record Publish(String address, int hostPort, int containerPort, String protocol) {
    }

    ContainerBuilder() {
    }

    /** The root assembled from the host's /usr, read-only (the default). */
    public ContainerBuilder hostUsrRoot() {
        rootKind = RootKind.HOST_USR;
        rootDirectory = null;
        return this;
    }

    /** A root file system directory (e.g. an unpacked image), with the built-in default's settings around it. */
    public ContainerBuilder rootfs(Path directory) {
        rootKind = RootKind.ROOTFS;
        rootDirectory = Objects.requireNonNull(directory);
        return this;
    }

    /** An OCI bundle: its config.json says everything; only {@link #command} may replace process.args. */
    public ContainerBuilder bundle(Path directory) {
        rootKind = RootKind.BUNDLE;
        rootDirectory = Objects.requireNonNull(directory);
        return this;
    }

    public ContainerBuilder command(String... args) {
        return command(List.of(args));
    }

    public ContainerBuilder command(List<String> args) {
        command.clear();
        command.addAll(args);
        return this;
    }

    /** One variable; the default environment has PATH and TERM only. */
    public ContainerBuilder env(String name, String value) {
        env.add(name + "=" + value);
        return this;
    }

    public ContainerBuilder workdir(String absolutePath) {
        workdir = absolutePath;
        return this;
    }

    /** Container uid and gid; rootless launches map only 0. */
    public ContainerBuilder user(long uid, long gid) {
        user = uid + ":" + gid;
        return this;
    }

    /** As {@code --user}: "UID[:GID]". */
    public ContainerBuilder user(String uidAndGid) {
        user = uidAndGid;
        return this;
    }

    public ContainerBuilder hostname(String name) {
        hostname = name;
        return this;
    }

    /** Binds the existing host path read-only (Landlock keeps it so). */
    public ContainerBuilder mountReadOnly(Path host, String container) {
        mountArguments.add(host.toAbsolutePath() + ":" + container + ":ro");
        return this;
    }

    /** Binds the existing host path writable: an explicit loosening (Landlock allows writes beneath it). */
    public ContainerBuilder mountWritable(Path host, String container) {
        mountArguments.add(host.toAbsolutePath() + ":" + container + ":rw");
        return this;
    }

    /** A fresh tmpfs (64m, mode 1777, noexec unless options say exec); {@code options} as {@code --tmpfs DST:OPTS}, may be empty. */
    public ContainerBuilder tmpfs(String container, String options) {
        mountArguments.add("tmpfs:" + container + (options == null || options.isEmpty() ? "" : ":" + options));
        return this;
    }

    public ContainerBuilder tmpfs(String container) {
        return tmpfs(container, "");
    }

    /** loopback (default), none, host, ns:PATH or pasta, as {@code --network}. */
    public ContainerBuilder network(String mode) {
        network = mode;
        return this;
    }

    /**
     * With {@code network("pasta")}: forwards 127.0.0.1:hostPort to the container's tcp port; hostPort 0 picks a
     * free port at start, which {@link RunningContainer#hostPort(int)} then reads.
     */
    public ContainerBuilder publish(int hostPort, int containerPort) {
        published.add(new Publish("127.0.0.1", hostPort, containerPort, "tcp"));
        return this;
    }

    /** As {@link #publish(int, int)}, for "tcp" or "udp" on a given host address. */
    public ContainerBuilder publish(String hostAddress, int hostPort, int containerPort, String protocol) {
        published.add(new Publish(hostAddress, hostPort, containerPort, protocol));
        return this;
    }

    /** Memory limit, e.g. "64m" (no swap); the start fails if the host cannot apply it. */
    public ContainerBuilder memory(String size) {
        memory = size;
        return this;
    }

    public ContainerBuilder pids(long limit) {
        pids = limit;
        return this;
    }

    public ContainerBuilder cpus(double cpuBandwidth) {
        cpus = cpuBandwidth;
        return this;
    }

    /** Adds a capability (CAP_ prefix optional), held in the container's user namespace only. */
    public ContainerBuilder capAdd(String capability) {
        capAdd.add(capability);
        return this;
    }

    /** A seccomp profile (the OCI linux.seccomp JSON object) in place of the default one. */
    public ContainerBuilder seccompProfile(Path jsonFile) {
        seccompProfile = jsonFile;
        return this;
    }

    /** Landlock rules in place of the default ones, e.g. "/=rx;/tmp=rw", or "off" (annotation dev.bulwark.landlock). */
    public ContainerBuilder landlock(String rules) {
        return annotation("dev.bulwark.landlock", rules);
    }

    public ContainerBuilder annotation(String key, String value) {
        annotations.put(key, value);
        return this;
    }

    /** hardened (default) or oci: what a {@link #bundle}'s config means. */
    public ContainerBuilder profile(String name) {
        profile = switch (name) {
            case "hardened" -> Profile.HARDENED;
            case "oci" -> Profile.OCI;
            default -> throw new ContainerException("profile: \"" + name + "\" is not a profile; use hardened or oci",
                    "configure", "profile", LaunchException.LAUNCHER_ERROR, null);
        };
        return this;
    }

    /** false: the root is writable (its in-memory tmpfs; the host's files stay read-only). */
    public ContainerBuilder readOnlyRoot(boolean readOnly) {
        readOnlyRoot = readOnly;
        return this;
    }

    /** The container id (default: bulwark-api-RANDOM); unique among running containers of the state root. */
    public ContainerBuilder id(String containerId) {
        id = containerId;
        return this;
    }

    /** Where state directories live (default as the CLI's: /run/bulwark as root, else the user's runtime directory). */
    public ContainerBuilder stateRoot(Path directory) {
        stateRoot = directory;
        return this;
    }

    /** Collects the launch's narration ({@code --explain=brief}) for {@link RunningContainer#explanation()}. */
    public ContainerBuilder explain(boolean collect) {
        explain = collect;
        return this;
    }

    /**
     * {@link #start()} returns only once the container's stdout or stderr contains {@code text} (e.g. a
     * server's "listening" line); one that ends first, or has not written it within {@code timeout}, is
     * closed and the start throws, with its output in the message.
     */
    public ContainerBuilder readyWhenOutput(String text, Duration timeout) {
        readyText = text;
        readyTimeout = timeout;
        return this;
    }

    /**
     * Gives the container's stdin as a pipe, {@link RunningContainer#stdin()}, which this JVM writes and closes
     * for end-of-file; without it the container reads /dev/null.
     */
    public ContainerBuilder openStdin() {
        openStdin = true;
        return this;
    }

    /**
     * How many bytes of each of stdout and stderr are kept (default {@value #DEFAULT_OUTPUT_LIMIT}, 16 MiB).
     * The rest is read and dropped, so the workload never blocks on a full pipe; the text then ends with a line
     * "[bulwark: output truncated: ...]" and {@link RunningContainer#outputTruncated()} is true.
     */
    public ContainerBuilder outputLimit(long bytesPerStream) {
        if (bytesPerStream < 0) {
            throw new ContainerException("outputLimit: " + bytesPerStream + " is negative", "configure", "outputLimit",
                    LaunchException.LAUNCHER_ERROR, null);
        }
        outputLimit = bytesPerStream;
        return this;
    }

    /**
     * Copies a host file or directory to {@code containerPath} before the container starts: each start gets a
     * snapshot of its own, bound read-only there and removed when the container is closed (a directory's links
     * are copied as links). {@code containerPath} must be absolute without "." or ".." components; it may be
     * where the root has nothing yet.
     */
    public ContainerBuilder copyFileToContainer(Path host, String containerPath) {
        copiedFiles.addPath(Objects.requireNonNull(host), containerPath);
        return this;
    }

    /** As {@link #copyFileToContainer}, a file with {@code content} and permission {@code mode} (e.g. 0644, 0755). */
    public ContainerBuilder copyToContainer(byte[] content, int mode, String containerPath) {
        copiedFiles.addContent(Objects.requireNonNull(content), mode, containerPath);
        return this;
    }

    /**
     * Starts the container and returns once its command runs (execve succeeded); a setting, setup step or
     * command that fails throws {@link ContainerException} and leaves nothing behind.
     */
    public RunningContainer start() {
        Launch launch = prepare();
        return RunningContainer.start(launch);
    }

    /** Starts the container and waits for it to end; output is collected. */
    public ContainerResult run() {
        return run(Duration.ofMinutes(10));
    }

    /** As {@link #run()}; a container still running after {@code timeout} is killed and this throws. */
    public ContainerResult run(Duration timeout) {
        try (RunningContainer container = start()) {
            if (!container.waitFor(timeout)) {
                container.close();
                throw new ContainerException("container " + container.id() + " still ran after " + timeout + ": killed",
                        "wait", "", LaunchException.LAUNCHER_ERROR, null);
            }
            return container.result();
        }
    }

    /** What one start launches, settled before anything runs. */
    record Launch(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot, boolean hostRootAllowed,
                  LinuxIdMapping hostIdRange, dev.bulwark.launcher.plan.LsmHost lsm, Map<Integer, Integer> hostPorts,
                  boolean explain, String readyText, Duration readyTimeout, boolean openStdin, long outputLimit,
                  CopiedFiles.Staged copies, LaunchMemo memo) {
    }

    /**
     * Every setting that shapes the config, as of one start: an unchanged builder started again reuses the config
     * it settled last time (built, lifted by the hardened profile, validated) instead of settling it again.
     */
    private record Settings(RootKind rootKind, Path rootDirectory, List<String> command, List<String> env, String workdir,
                            String user, String hostname, List<String> mountArguments, String network, String memory, Long pids,
                            Double cpus, List<String> capAdd, Map<String, String> annotations, Profile profile,
                            Boolean readOnlyRoot, Path stateRoot, int euid, int egid) {
    }

    /** The settled config of the last start and the settings it was made from (starts may run on many threads). */
    private record Settled(Settings settings, Spec spec, Path bundle, Path stateRoot, boolean hostRootAllowed,
                           dev.bulwark.launcher.plan.LsmHost lsm) {
    }

    private volatile Settled settled;

    /** What this builder's starts of an unchanged config need not redo (validation, exec-config.json); thread-safe. */
    private final LaunchMemo memo = new LaunchMemo();

    /**
     * The settings, or null when a start must settle the config afresh: a published port picks a free port per
     * start, copies are staged per start, and a bundle's config.json or a seccomp profile file may have changed.
     */
    private Settings reusableSettings() {
        if (rootKind == RootKind.BUNDLE || !published.isEmpty() || !copiedFiles.isEmpty() || seccompProfile != null) {
            return null;
        }
        if (command.contains(null) || capAdd.contains(null) || annotations.containsKey(null) || annotations.containsValue(null)) {
            return null; // settled afresh, which names the bad setting
        }
        return new Settings(rootKind, rootDirectory, List.copyOf(command), List.copyOf(env), workdir, user, hostname,
                List.copyOf(mountArguments), network, memory, pids, cpus, List.copyOf(capAdd), Map.copyOf(annotations), profile,
                readOnlyRoot, stateRoot, Syscalls.geteuid(), Syscalls.getegid());
    }

    private Launch prepare() {
        Settings settings = reusableSettings();
        Settled last = settled;
        if (settings != null && last != null && last.settings().equals(settings)) {
            return launch(last.spec(), last.bundle(), newId(), last.stateRoot(), last.hostRootAllowed(), last.lsm(), Map.of(),
                    CopiedFiles.NONE);
        }
        Launch launch = prepareAfresh();
        if (settings != null) {
            settled = new Settled(settings, launch.spec(), launch.bundle(), launch.stateRoot(), launch.hostRootAllowed(),
                    launch.lsm());
        }
        return launch;
    }

    /** One start's launch: the settled config and what this start adds, with the builder's own settings. */
    private Launch launch(Spec spec, Path bundle, String containerId, Path stateRoot, boolean hostRootAllowed,
                          dev.bulwark.launcher.plan.LsmHost lsm, Map<Integer, Integer> hostPorts, CopiedFiles.Staged copies) {
        return new Launch(spec, bundle, containerId, rootKind == RootKind.HOST_USR, stateRoot, hostRootAllowed, HOST_ID_RANGE,
                lsm, hostPorts, explain, readyText, readyTimeout, openStdin, outputLimit, copies, memo);
    }

    private String newId() {
        return id != null ? id : "bulwark-api-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    private Launch prepareAfresh() {
        String containerId = newId();
        if (!copiedFiles.isEmpty() && rootKind == RootKind.BUNDLE) {
            throw new ContainerException("copyFileToContainer: a bundle's config.json says everything; add the files to its "
                    + "root or its mounts", "configure", "copyFileToContainer", LaunchException.LAUNCHER_ERROR, null);
        }
        // copies go only into the built-in settings: started by root, their container root is the first id of
        // HOST_ID_RANGE (BuiltInDefault's user namespace); rootless, the launcher's own uid
        CopiedFiles.Staged copies = copiedFiles.stage(Syscalls.geteuid() != 0 ? null : new CopiedFiles.ContainerRoot(
                (int) HOST_ID_RANGE.hostId(), (int) HOST_ID_RANGE.hostId()));
        try {
            return prepare(containerId, copies);
        } catch (RuntimeException e) {
            copies.remove();
            throw e;
        }
    }

    private Launch prepare(String containerId, CopiedFiles.Staged copies) {
        try {
            int euid = Syscalls.geteuid();
            int egid = Syscalls.getegid();
            boolean rootless = euid != 0;
            Map<Integer, Integer> hostPorts = new LinkedHashMap<>();
            List<String> publish = new ArrayList<>();
            for (Publish p : published) {
                int hostPort = p.hostPort() == 0 ? freePort(p.address()) : p.hostPort();
                hostPorts.put(p.containerPort(), hostPort);
                String address = p.address().contains(":") ? "[" + p.address() + "]" : p.address();
                publish.add(address + ":" + hostPort + ":" + p.containerPort() + "/" + p.protocol());
            }
            Spec spec;
            Path bundle = null;
            boolean builtIn = rootKind != RootKind.BUNDLE;
            if (builtIn) {
                if (command.isEmpty()) {
                    throw new LaunchException("command: give the command to run");
                }
                spec = BuiltInDefault.spec(euid, egid, command);
                if (rootKind == RootKind.ROOTFS) {
                    Path root = rootDirectory.toAbsolutePath();
                    spec = spec.withRoot(new Root(root.toString(), true));
                    bundle = root;
                }
                List<MountArguments.Flagged> mounts = new ArrayList<>(); // per start: starts may run on many threads
                List<String> arguments = new ArrayList<>(mountArguments);
                arguments.addAll(copies.mountArguments());
                for (String argument : arguments) {
                    mounts.add(argument.startsWith("tmpfs:")
                            ? new MountArguments.Flagged("--tmpfs", MountArguments.tmpfs(argument.substring(6)))
                            : new MountArguments.Flagged("--volume", MountArguments.bind("--volume", argument)));
                }
                spec = new DefaultContainerSettings(user, workdir, List.of(), env, Map.of(), hostname, capAdd, List.of(),
                        readOnlyRoot, memory, pids, cpus, mounts).applyTo(spec);
                spec = ContainerNetwork.parse(network, publish, rootless).applyTo(spec, rootless);
            } else {
                if (user != null || workdir != null || hostname != null || !env.isEmpty() || !mountArguments.isEmpty()
                        || network != null || !published.isEmpty() || memory != null || pids != null || cpus != null
                        || !capAdd.isEmpty() || readOnlyRoot != null) {
                    throw new LaunchException("bundle: its config.json says everything; only command() applies with a bundle");
                }
                bundle = rootDirectory.toAbsolutePath();
                spec = SpecParser.parse(bundle.resolve("config.json"));
                if (!command.isEmpty() && spec.process() != null) {
                    spec = spec.withProcess(spec.process().withArgs(List.copyOf(command)));
                }
            }
            if (!annotations.isEmpty()) {
                Map<String, String> merged = new LinkedHashMap<>(spec.annotations() == null ? Map.of() : spec.annotations());
                merged.putAll(annotations);
                spec = spec.withAnnotations(merged);
            }
            if (seccompProfile != null) {
                spec = spec.withLinux(spec.linux().withSeccomp(readSeccomp(seccompProfile)));
            }
            EffectiveConfig effective = EffectiveConfig.of(spec, builtIn ? Profile.HARDENED : profile, rootless, false,
                    false, false);
            return launch(effective.spec(), bundle, containerId, stateRoot != null ? stateRoot : StateRoot.defaultPath(euid),
                    effective.hostRootAllowed(), effective.lsm(), Map.copyOf(hostPorts), copies);
        } catch (SpecParseException e) {
            throw new ContainerException(e.getMessage(), "configure", "bundle", LaunchException.LAUNCHER_ERROR, e);
        } catch (IOException e) {
            throw new ContainerException("bundle: " + rootDirectory + "/config.json: " + e.getMessage(), "configure",
                    "bundle", LaunchException.LAUNCHER_ERROR, e);
        } catch (RuntimeException e) {
            throw ContainerException.configuring(e);
        }
    }

    /** A free port now: pasta binds it moments later (another process could take it between; then the start fails naming it). */
    private static int freePort(String address) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new LaunchException("publish: no free port on " + address + ": " + e.getMessage(), e);
        }
    }

    private static LinuxSeccomp readSeccomp(Path file) {
        try {
            String json = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"seccomp\": "
                    + Files.readString(file) + "}}";
            return SpecParser.parse(json).linux().seccomp();
        } catch (IOException e) {
            throw new LaunchException("seccompProfile: " + file + ": " + e.getMessage(), e);
        } catch (SpecParseException e) {
            throw new LaunchException("seccompProfile: " + file + ": " + e.getMessage(), e);
        }
    }
}
