package dev.bulwark.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's Podman 4.3 driving the Bulwark under test ({@code --runtime}), with storage, run root, tmpdir,
 * HOME, XDG_RUNTIME_DIR, containers.conf and Bulwark's state root all in one private temp directory (never
 * the system's /var/lib/containers or /run/containers), as root or as the rootless test user.
 *
 * <p>containers.conf lists "bulwark" (the runtime's file name) in {@code runtime_supports_nocgroup} (the key
 * Podman 4.3 reads; its shipped comment says {@code runtime_supports_nocgroups}), so {@code --cgroups=disabled}
 * is allowed: Podman then passes {@code --cgroup-manager disabled} and neither conmon nor the container gets a
 * cgroup, which keeps everything off this hybrid host's v1 hierarchies.
 */
final class PodmanEngine implements AutoCloseable {
    static final Path PODMAN = Path.of("/usr/bin/podman");
    static final String IMAGE = "localhost/bulwark-it/busybox:latest";
    /** What every run needs here: no cgroup, no network beyond loopback, rlimits within this host's hard limits. */
    static final List<String> RUN_FLAGS = List.of("--cgroups=disabled", "--network=none",
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024");

    final Mode mode;
    final Path dir;
    private final List<String> extraGlobalFlags;

    /** A result of one podman command. */
    record Result(int exitCode, String stdout, String stderr, long millis) {
        String describe() {
            return "exit " + exitCode + " after " + millis + " ms\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private PodmanEngine(Mode mode, Path dir, List<String> extraGlobalFlags) {
        this.mode = mode;
        this.dir = dir;
        this.extraGlobalFlags = extraGlobalFlags;
    }

    /**
     * A fresh engine: its directories, the runtime wrapper {@code DIR/bin/bulwark} (the launcher under test) and
     * the image, imported offline from a tarball of a static-busybox root.
     */
    static PodmanEngine start(Mode mode, Path imageTar, String... extraGlobalFlags) {
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "bwpm", // short: Podman refuses a runroot over 50 characters
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.createDirectory(dir.resolve("bin"));
            Path runtime = dir.resolve("bin/bulwark"); // Podman matches containers.conf's lists on this file name
            // As root, a state root of the engine's own instead of the shared /run/bulwark (rootless, the default
            // $XDG_RUNTIME_DIR/bulwark is private already). Not podman's --runtime-flag root=: Podman 4.3 leaves runtime
            // flags out of the delete its clean-up process (run --rm, restart) calls.
            String stateRoot = mode == Mode.ROOT ? " --root " + quote(dir.resolve("state").toString()) : "";
            Files.writeString(runtime, "#!/bin/sh\nexec " + Cli.launcherCommand().stream().map(PodmanEngine::quote)
                    .collect(Collectors.joining(" ")) + stateRoot + " \"$@\"\n");
            Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(dir.resolve("containers.conf"), """
                    [engine]
                    runtime_supports_nocgroup = ["crun", "krun", "bulwark"]
                    runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "bulwark"]
                    """);
            Files.createDirectory(dir.resolve("state"), // the container's root traverses it to an idmapped root (hardened profile)
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            for (String own : List.of("s", "home", "xdg")) {
                Path p = Files.createDirectory(dir.resolve(own), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                if (mode == Mode.ROOTLESS) {
                    UserPrincipalLookupService users = p.getFileSystem().getUserPrincipalLookupService();
                    Files.setOwner(p, users.lookupPrincipalByName(Mode.ROOTLESS_USER));
                    Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class)
                            .setGroup(users.lookupPrincipalByGroupName(Mode.ROOTLESS_USER));
                }
            }
            PodmanEngine engine = new PodmanEngine(mode, dir, List.of(extraGlobalFlags));
            Result imported = engine.podman(120, "import", "--quiet", imageTar.toString(), IMAGE);
            assertEquals(0, imported.exitCode(), "podman import: " + imported.describe());
            return engine;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs podman with this engine's global flags. */
    Result podman(int timeoutSeconds, String... args) {
        return execute(command(List.of(args)), timeoutSeconds);
    }

    /** The whole command line of {@code podman ARGS}, with the user change and the environment. */
    List<String> command(List<String> args) {
        List<String> command = new ArrayList<>();
        if (mode == Mode.ROOTLESS) {
            command.addAll(Cli.setpriv());
        }
        command.add("env");
        command.add("-i");
        environment().forEach((k, v) -> command.add(k + "=" + v));
        command.add(PODMAN.toString());
        command.addAll(globalFlags());
        command.addAll(args);
        return command;
    }

    private Map<String, String> environment() {
        Map<String, String> env = new TreeMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", dir.resolve("home").toString());
        env.put("XDG_RUNTIME_DIR", dir.resolve("xdg").toString());
        env.put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
        return env;
    }

    private List<String> globalFlags() {
        Path storage = dir.resolve("s");
        List<String> flags = new ArrayList<>(List.of("--root", storage.resolve("root").toString(),
                "--runroot", storage.resolve("run").toString(), "--tmpdir", storage.resolve("tmp").toString(),
                "--cgroup-manager=cgroupfs", "--events-backend=file",
                "--runtime", dir.resolve("bin/bulwark").toString()));
        flags.addAll(extraGlobalFlags);
        return flags;
    }

    static Result execute(List<String> command, int timeoutSeconds) {
        try {
            Path out = Files.createTempFile("bulwark-it-podman-out", ".txt");
            Path err = Files.createTempFile("bulwark-it-podman-err", ".txt");
            try {
                long started = System.nanoTime();
                Process process = new ProcessBuilder(command).directory(new java.io.File("/tmp"))
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor();
                    throw new AssertionError("did not finish within " + timeoutSeconds + " s: " + command + "\n"
                            + Files.readString(out) + Files.readString(err));
                }
                long millis = (System.nanoTime() - started) / 1_000_000;
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8), millis);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** The pids of processes whose command line or environment names this engine's directory (conmon, podman's pause). */
    List<Long> processesOfThisEngine() {
        String marker = dir.toString();
        return ProcessHandle.allProcesses().filter(p -> p.pid() != ProcessHandle.current().pid()).filter(p -> {
            Path proc = Path.of("/proc", Long.toString(p.pid()));
            try {
                return read(proc.resolve("cmdline")).contains(marker) || read(proc.resolve("environ")).contains(marker);
            } catch (IOException e) {
                return false; // gone
            }
        }).map(ProcessHandle::pid).toList();
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    /** Mount points under this engine's directory, in this mount namespace. */
    List<String> mountsOfThisEngine() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                    .filter(m -> m.startsWith(dir.toString())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * After a test: every container removed, then nothing of it may be left: no container in podman's list, no
     * conmon, no Bulwark state directory, no mount of a container's root.
     */
    void assertNothingLeft() {
        Result removed = podman(120, "rm", "--all", "--force", "--time", "0");
        assertEquals(0, removed.exitCode(), removed.describe());
        Result listed = podman(60, "ps", "--all", "--quiet");
        assertEquals("", listed.stdout(), "containers left: " + listed.describe());
        List<Long> conmons = processesOfThisEngine().stream().filter(pid -> commandName(pid).equals("conmon")).toList();
        assertEquals(List.of(), conmons, "conmon processes left");
        Path stateRoot = mode == Mode.ROOT ? dir.resolve("state") : dir.resolve("xdg/bulwark");
        if (Files.isDirectory(stateRoot)) {
            try (var states = Files.list(stateRoot)) {
                assertEquals(List.of(), states.toList(), "Bulwark state directories left");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<String> containerMounts = mountsOfThisEngine().stream().filter(m -> m.endsWith("/merged") || m.contains("-containers/")).toList();
        assertEquals(List.of(), containerMounts, "container mounts left");
    }

    static String commandName(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Removes everything: storage (podman's own unmount first), the rootless pause process that holds podman's
     * user namespace (started by this engine: found by its environment), then the directory.
     */
    @Override
    public void close() {
        podman(120, "rm", "--all", "--force", "--time", "0");
        podman(120, "rmi", "--all", "--force"); // not `system reset`: as root it would also clear the host's network configs
        for (long pid : processesOfThisEngine()) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> p).join();
            });
        }
        List<String> mounts = new ArrayList<>(mountsOfThisEngine());
        java.util.Collections.reverse(mounts);
        for (String mount : mounts) {
            execute(List.of("umount", "-l", mount), 30);
        }
        Cli.deleteTree(dir);
        assertTrue(!Files.exists(dir), "engine directory removed: " + dir);
    }
}
