package dev.bulwark.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A containerd 1.6 of the test's own, never the system's: root, state, sockets, the runtime's state root
 * ({@code --runc-root}) and the image in one temporary directory, no CRI, no /opt/containerd.
 *
 * <p>It runs in a private mount namespace ({@code unshare -m --propagation private}) in which the host's
 * cgroup v2 hierarchy is bound over /sys/fs/cgroup and /run is an empty tmpfs. On this hybrid host the
 * runc v2 shim would otherwise see cgroup v1 and write OOM event registrations into the v1 memory
 * cgroups, which belong to the machine's supervisor; here containerd, its shims and Bulwark see a pure
 * cgroup v2 host and cannot reach a v1 hierarchy by path. The shim's sockets and ctr's fifos, which
 * containerd 1.6 puts under /run/containerd whatever its state dir, stay in that tmpfs, so every ctr
 * command runs in the same namespace ({@code nsenter -t PID -m}). Stopped by its pid.
 */
final class ContainerdDaemon implements AutoCloseable {
    /** Plugins not needed here: CRI, snapshotters for other file systems, tracing, and opt (it makes /opt/containerd). */
    private static final List<String> DISABLED_PLUGINS = List.of("io.containerd.grpc.v1.cri",
            "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.aufs",
            "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
            "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing");
    private static final int CTR_TIMEOUT_SECONDS = 180;

    private final Path dir;
    private final Process daemon;
    private final String namespace;
    private final Path runtime;
    private final Mode mode;

    private ContainerdDaemon(Path dir, Process daemon, String namespace, Path runtime, Mode mode) {
        this.dir = dir;
        this.daemon = daemon;
        this.namespace = namespace;
        this.runtime = runtime;
        this.mode = mode;
    }

    /** What a ctr command printed and how it ended. */
    record Result(int exitCode, String stdout, String stderr) {
        String describe() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** Skips, with the reason, where rootless containerd cannot run here. */
    static void assumeRootlessPossible() throws IOException {
        assumeTrue(onPath("rootlesskit"), "rootless containerd needs rootlesskit (Debian package rootlesskit; run"
                + " scripts/setup-test-host) for a user and mount namespace of its own: containerd 1.6 run by a plain"
                + " user fails at its first mount");
        assumeTrue(onPath("newuidmap") && onPath("newgidmap"), "rootlesskit maps subordinate ids with newuidmap and"
                + " newgidmap (Debian package uidmap); run scripts/setup-test-host");
        for (String file : List.of("/etc/subuid", "/etc/subgid")) {
            assumeTrue(Files.exists(Path.of(file)) && Files.readAllLines(Path.of(file)).stream()
                            .anyMatch(l -> l.startsWith(Mode.ROOTLESS_USER + ":")),
                    file + " has no range for " + Mode.ROOTLESS_USER + " (rootlesskit maps it); run scripts/setup-test-host");
        }
    }

    /** Skips, with the reason, where containerd, ctr, the runc v2 shim or the namespace tools are missing. */
    static void assumeInstalled() {
        for (String tool : List.of("containerd", "ctr", "containerd-shim-runc-v2")) {
            assumeTrue(onPath(tool), tool + " is not installed; run scripts/setup-test-host (Debian package containerd)");
        }
        for (String tool : List.of("unshare", "nsenter", "tar")) {
            assumeTrue(onPath(tool), tool + " is not installed; run scripts/setup-test-host");
        }
        assumeTrue(cgroup2MountPoint().isPresent(), "no cgroup v2 hierarchy is mounted: the private namespace"
                + " would show containerd no cgroup v2 and its shim would use cgroup v1");
    }

    static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    /** Where this host mounts cgroup v2 (/sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on a pure one). */
    static Optional<Path> cgroup2MountPoint() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(l -> l.split(" ")).filter(f -> {
                int separator = List.of(f).indexOf("-");
                return f[separator + 1].equals("cgroup2");
            }).map(f -> Path.of(f[4])).findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The v1 hierarchies mounted on this host (none on a pure cgroup v2 host). */
    static List<Path> cgroup1MountPoints() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(l -> l.split(" ")).filter(f -> {
                int separator = List.of(f).indexOf("-");
                return f[separator + 1].equals("cgroup");
            }).map(f -> Path.of(f[4])).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts containerd with {@code runtimeCommand} (the Bulwark CLI) wrapped in one executable for the
     * shim's runc binary; waits until it answers.
     */
    static ContainerdDaemon start(List<String> runtimeCommand) throws IOException, InterruptedException {
        return start(Mode.ROOT, runtimeCommand);
    }

    /**
     * As {@link #start(List)}; {@link Mode#ROOTLESS}: as the user bulwark-test under rootlesskit (a user
     * namespace mapping its subordinate ids, and a mount namespace with /run copied up), where containerd,
     * its shims and Bulwark are uid 0 of that namespace, not the host's root.
     */
    static ContainerdDaemon start(Mode mode, List<String> runtimeCommand) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-containerd",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        String namespace = "bulwark-it-" + ProcessHandle.current().pid();
        Path runtime = dir.resolve("bulwark");
        Files.writeString(runtime, "#!/bin/sh\nexec " + runtimeCommand.stream().map(ContainerdDaemon::quote)
                .collect(Collectors.joining(" ")) + " \"$@\"\n");
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = dir.resolve("config.toml");
        Files.writeString(config, config(dir));
        Path cgroup2 = cgroup2MountPoint().orElseThrow();
        String bindCgroup2 = cgroup2.equals(Path.of("/sys/fs/cgroup")) ? ""
                : "mount --bind " + quote(cgroup2.toString()) + " /sys/fs/cgroup && ";
        List<String> command = new ArrayList<>();
        if (mode == Mode.ROOT) {
            command.addAll(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                    bindCgroup2 + "mount -t tmpfs -o mode=0755,size=16m bulwark-it-run /run && exec containerd --config "
                            + quote(config.toString())));
        } else {
            chownTree(dir);
            command.addAll(Cli.setpriv());
            command.addAll(List.of("env", "HOME=" + dir, "XDG_RUNTIME_DIR=" + dir, "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                    "rootlesskit", "--state-dir=" + dir.resolve("rootlesskit"), "--net=host", "--copy-up=/run",
                    "sh", "-c", bindCgroup2 + "exec containerd --config " + quote(config.toString())));
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().remove("BULWARK_PROFILE");
        builder.environment().remove("NOTIFY_SOCKET");
        Process daemon = builder.start(); // root: unshare and sh exec, this pid becomes containerd's; rootless: rootlesskit's
        ContainerdDaemon started = new ContainerdDaemon(dir, daemon, namespace, runtime, mode);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!daemon.isAlive()) {
                String log = Files.readString(dir.resolve("containerd.log"));
                started.close();
                throw new AssertionError("containerd exited at start: " + log);
            }
            if (Files.exists(dir.resolve("containerd.sock")) && started.namespacePid().isPresent()
                    && started.ctr("version").exitCode() == 0) {
                return started;
            }
            if (System.nanoTime() > deadline) {
                started.close();
                throw new AssertionError("containerd did not answer within 30 s");
            }
            Thread.sleep(100);
        }
    }

    private static String config(Path dir) {
        return "version = 2\n"
                + "root = \"" + dir.resolve("root") + "\"\n"
                + "state = \"" + dir.resolve("state") + "\"\n"
                + "disabled_plugins = [" + DISABLED_PLUGINS.stream().map(p -> "\"" + p + "\"")
                .collect(Collectors.joining(", ")) + "]\n"
                + "[grpc]\n  address = \"" + dir.resolve("containerd.sock") + "\"\n"
                + "[ttrpc]\n  address = \"" + dir.resolve("containerd.sock.ttrpc") + "\"\n"
                + "[debug]\n  address = \"\"\n  level = \"info\"\n"
                + "[metrics]\n  address = \"\"\n";
    }

    private static void chownTree(Path dir) throws IOException, InterruptedException {
        Process chown = new ProcessBuilder("chown", "-R", Mode.rootlessUid() + ":" + Mode.rootlessGid(), dir.toString())
                .inheritIO().start();
        if (chown.waitFor() != 0) {
            throw new IOException("chown -R " + dir + " failed");
        }
    }

    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    Path directory() {
        return dir;
    }

    String namespace() {
        return namespace;
    }

    long pid() {
        return daemon.pid();
    }

    /** The executable the shim runs as runc: the Bulwark CLI under test. */
    Path runtime() {
        return runtime;
    }

    /** The runtime's state root for this namespace: the shim passes {@code --root RUNC-ROOT/NAMESPACE}. */
    Path runtimeStateRoot() {
        return dir.resolve("runc").resolve(namespace);
    }

    /** The flags that make ctr run a container with Bulwark as the runc v2 shim's runc binary. */
    List<String> runtimeFlags() {
        return List.of("--runtime", "io.containerd.runc.v2", "--runc-binary", runtime.toString(),
                "--runc-root", dir.resolve("runc").toString());
    }

    /** The process whose namespaces ctr joins: containerd (root), or rootlesskit's child in its namespaces. */
    private Optional<Long> namespacePid() {
        if (mode == Mode.ROOT) {
            return Optional.of(daemon.pid());
        }
        try {
            return Optional.of(Long.parseLong(Files.readString(dir.resolve("rootlesskit/child_pid")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code ctr -a SOCKET -n NAMESPACE ARGS...} in containerd's mount namespace (rootless: as bulwark-test, uid 0
     * of rootlesskit's user namespace, whose containerd socket is only its own).
     */
    List<String> ctrCommand(String... args) {
        List<String> command = new ArrayList<>();
        if (mode == Mode.ROOTLESS) {
            command.addAll(Cli.setpriv());
        }
        command.addAll(List.of("nsenter", "-t", Long.toString(namespacePid().orElseThrow()), "-m"));
        if (mode == Mode.ROOTLESS) {
            command.add("-U");
        }
        command.addAll(List.of("ctr", "-a", dir.resolve("containerd.sock").toString(), "-n", namespace));
        command.addAll(List.of(args));
        return command;
    }

    Result ctr(String... args) throws IOException, InterruptedException {
        return run(ctrCommand(args));
    }

    Result ctr(List<String> args) throws IOException, InterruptedException {
        return ctr(args.toArray(String[]::new));
    }

    /** Starts a ctr command that keeps running (a foreground {@code ctr run}); its output goes to files in the directory. */
    Process startCtr(Path stdout, List<String> args) throws IOException {
        return new ProcessBuilder(ctrCommand(args.toArray(String[]::new))).redirectOutput(stdout.toFile())
                .redirectError(stdout.resolveSibling(stdout.getFileName() + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }

    static Result run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("bulwark-it-ctr", ".out");
        Path err = Files.createTempFile("bulwark-it-ctr", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(CTR_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + CTR_TIMEOUT_SECONDS
                        + " s: " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Stops containerd (SIGTERM to its pid, SIGKILL after 20 s) and removes its directory. Its shims
     * exit with their tasks; the caller checks that none is left before.
     */
    @Override
    public void close() {
        try {
            if (daemon.isAlive()) {
                daemon.destroy();
                if (!daemon.waitFor(20, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly();
                    daemon.waitFor();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Cli.deleteTree(dir);
        }
    }

    /** The log containerd wrote so far, for failure messages. */
    String log() {
        try {
            return Files.readString(dir.resolve("containerd.log"));
        } catch (IOException e) {
            return "";
        }
    }
}
