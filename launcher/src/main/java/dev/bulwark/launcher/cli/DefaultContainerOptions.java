package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.MountArguments;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.DefaultContainerSettings;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The flags of {@code bulwark run [flags] -- CMD} that shape the built-in default container, each with
 * the meaning {@code podman run} gives it. With {@code --bundle} they are refused: config.json says it all.
 */
final class DefaultContainerOptions {
    @Option(names = {"-e", "--env"}, paramLabel = "NAME[=VALUE]", description = "built-in default only: set an environment "
            + "variable (default: PATH and TERM only); NAME alone takes the launcher's value, and is skipped when it has none")
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE", description = "built-in default only: read variables from FILE, "
            + "one NAME=VALUE (or NAME) a line, # comments; read before --env, which wins")
    List<Path> envFiles = new ArrayList<>();

    @Option(names = {"-w", "--workdir", "--cwd"}, paramLabel = "DIR", description = "built-in default only: working directory "
            + "(default /); it must exist in the container")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", description = "built-in default only: run as this container "
            + "user (default 0:0, container root, which is never host root)")
    String user;

    @Option(names = {"-t", "--tty"}, description = "built-in default only: give the command a pseudo-terminal of the "
            + "container's own devpts (process.terminal); the launcher relays its own stdin and stdout to it, its terminal "
            + "in raw mode, the window size passed on")
    boolean tty;

    @Option(names = "--hostname", paramLabel = "NAME", description = "built-in default only: host name in the "
            + "container's uts namespace and /etc/hostname, /etc/hosts (default bulwark)")
    String hostname;

    @Option(names = "--cap-add", paramLabel = "CAP", description = "built-in default only (repeatable, or CAP,CAP): add a "
            + "capability, e.g. NET_BIND_SERVICE (CAP_ prefix optional, any case; default: none at all, bounding set empty). "
            + "Held in the container's user namespace only; ALL is refused")
    List<String> capAdd = new ArrayList<>();

    @Option(names = "--cap-drop", paramLabel = "CAP", description = "built-in default only (repeatable): drop a capability. "
            + "The default holds none, so it matters only beside --cap-add: --cap-drop ALL keeps just what --cap-add names, "
            + "and a capability both added and dropped is refused (as podman)")
    List<String> capDrop = new ArrayList<>();

    @Option(names = "--read-only", arity = "0..1", paramLabel = "true|false", fallbackValue = "true",
            description = "built-in default only: --read-only=false makes the root writable (default: read-only). Writes "
                    + "land in the root's in-memory tmpfs (64 MiB), private to the container and gone when it exits. /usr "
                    + "and the few host files in /etc stay read-only binds: they belong to host root, which the container's "
                    + "root is not, so no overlay could let it change them, and the host's files are never written")
    Boolean readOnly;

    @Option(names = "--memory", paramLabel = "SIZE", description = "built-in default only: memory limit, e.g. 64m or 1g, no "
            + "swap (default 512m, or rlimits where cgroup v2 cannot apply it); explicit: the run fails if the host cannot apply it")
    String memory;

    @Option(names = "--pids", paramLabel = "N", description = "built-in default only: limit on processes and threads "
            + "(default 1024; explicit as --memory)")
    Long pids;

    @Option(names = "--cpus", paramLabel = "CPUS", description = "built-in default only: CPU bandwidth, e.g. 0.5 "
            + "(default unlimited; explicit as --memory)")
    Double cpus;

    @Option(names = "--mount", paramLabel = "SRC:DST[:ro|rw]", description = "built-in default only (repeatable): bind the "
            + "existing host path SRC at DST, read-only unless :rw (an explicit loosening: Landlock then allows writes beneath DST). "
            + "Podman's form works too: type=bind,source=SRC,destination=DST[,ro] (writable unless ro, as podman) or "
            + "type=tmpfs,destination=DST[,tmpfs-size=N][,tmpfs-mode=M]")
    List<String> mounts = new ArrayList<>();

    @Option(names = {"-v", "--volume"}, paramLabel = "SRC:DST[:ro|rw]", description = "built-in default only (repeatable): "
            + "podman's -v: bind the existing absolute host path SRC at DST, writable unless :ro (as podman; Landlock then "
            + "allows writes beneath DST)")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--tmpfs", paramLabel = "DST[:OPTS]", description = "built-in default only (repeatable): a fresh tmpfs at "
            + "DST, writable under Landlock; OPTS: size=N[k|m|g|%%] (default " + MountArguments.DEFAULT_TMPFS_SIZE
            + "), mode=OCTAL (default 1777), exec (default noexec, as podman), ro; always nosuid,nodev. --tmpfs /tmp replaces "
            + "the default /tmp (64m)")
    List<String> tmpfs = new ArrayList<>();

    /** The flags given, by their long names: refused with a bundle. */
    List<String> given() {
        List<String> given = new ArrayList<>();
        addIf(given, !env.isEmpty(), "--env");
        addIf(given, !envFiles.isEmpty(), "--env-file");
        addIf(given, workdir != null, "--workdir");
        addIf(given, user != null, "--user");
        addIf(given, hostname != null, "--hostname");
        addIf(given, tty, "--tty");
        addIf(given, !capAdd.isEmpty(), "--cap-add");
        addIf(given, !capDrop.isEmpty(), "--cap-drop");
        addIf(given, readOnly != null, "--read-only");
        addIf(given, memory != null, "--memory");
        addIf(given, pids != null, "--pids");
        addIf(given, cpus != null, "--cpus");
        addIf(given, !mounts.isEmpty(), "--mount");
        addIf(given, !volumes.isEmpty(), "--volume");
        addIf(given, !tmpfs.isEmpty(), "--tmpfs");
        return given;
    }

    private static void addIf(List<String> list, boolean condition, String name) {
        if (condition) {
            list.add(name);
        }
    }

    /** The built-in default {@code spec} with these flags applied; every bad value is one line naming its flag. */
    Spec applyTo(Spec spec) {
        Spec applied = new DefaultContainerSettings(user, workdir, envFiles, env, System.getenv(), hostname, capAdd, capDrop,
                readOnly, memory, pids, cpus, mounts()).applyTo(spec);
        return tty ? applied.withProcess(applied.process().withTerminal(Boolean.TRUE)) : applied;
    }

    private List<MountArguments.Flagged> mounts() {
        List<MountArguments.Flagged> added = new ArrayList<>();
        mounts.forEach(m -> added.add(new MountArguments.Flagged("--mount", MountArguments.mountFlag(m))));
        volumes.forEach(v -> added.add(new MountArguments.Flagged("--volume", MountArguments.bind("--volume", v))));
        tmpfs.forEach(t -> added.add(new MountArguments.Flagged("--tmpfs", MountArguments.tmpfs(t))));
        return added;
    }
}
