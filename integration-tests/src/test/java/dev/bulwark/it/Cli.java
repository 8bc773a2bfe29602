package dev.bulwark.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the real {@code bulwark} CLI in a new JVM, as root or as the rootless test user. The launcher
 * jar and its libraries are copied to a world-readable directory so the unprivileged user can load them.
 *
 * <p>With {@code -Dbulwark.launcher=native} (or {@code BULWARK_LAUNCHER=native}) it runs the native
 * launcher instead, {@code launcher/target/native/bulwark} with its {@code lib/} (scripts/build-native),
 * copied the same way; scripts/test runs the suite both ways.
 */
public final class Cli {
    /** The launcher under test: "jvm" (default) or "native". */
    public static final String LAUNCHER = launcherChoice();
    private static final boolean NATIVE = LAUNCHER.equals("native");
    private static final Path CLASSPATH_DIR = NATIVE ? null : copyClasspath();
    private static final Path NATIVE_BINARY = NATIVE ? copyNativeLauncher() : null;
    /** A string in the command line of every CLI process these tests start (to find them in /proc). */
    public static final String COMMAND_LINE_MARKER = NATIVE ? NATIVE_BINARY.toString() : "dev.bulwark.launcher.cli.BulwarkCli";
    public static final Path STATE_ROOT_BASE = Path.of("/tmp/bulwark-it-state");

    private Cli() {
    }

    /** What a CLI run printed and how it ended. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** stderr without "bulwark: warning:" lines (e.g. default cgroup limits this host cannot apply). */
        public String errors() {
            return stderr.lines().filter(l -> !l.startsWith("bulwark: warning:"))
                    .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
        }

        public String describe() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    public static Result run(Mode mode, List<String> args) {
        return start(mode, args).await(60);
    }

    public static Running start(Mode mode, List<String> args) {
        return start(mode, List.of(), args, java.util.Map.of());
    }

    /**
     * As {@link #start(Mode, List)}, with the CLI run under {@code wrapper} (a command that ends by
     * running its arguments, e.g. {@code timeout 60 prlimit --nproc=3000 --}) as root, before any
     * change to the rootless user, so that limits it sets bound everything the run starts.
     */
    public static Running start(Mode mode, List<String> wrapper, List<String> args) {
        return start(mode, wrapper, args, java.util.Map.of());
    }

    /** As {@link #start(Mode, List)} with extra environment variables (kept across setpriv's --reset-env). */
    public static Running start(Mode mode, List<String> args, java.util.Map<String, String> environment) {
        return start(mode, List.of(), args, environment);
    }

    /**
     * As {@link #run(Mode, List)}, with the CLI's stdout going to {@code stdout} (which the caller keeps):
     * a container made by {@code create} inherits it, so its workload's output lands there after create returned.
     */
    public static Result runWithStdout(Mode mode, List<String> wrapper, List<String> args, Path stdout) {
        return start(mode, wrapper, args, java.util.Map.of(), stdout).await(60);
    }

    /** As {@link #run(Mode, List)}, in {@code workingDirectory} instead of /tmp. */
    public static Result runIn(Mode mode, Path workingDirectory, List<String> args) {
        return start(mode, List.of(), args, java.util.Map.of(), null, workingDirectory).await(60);
    }

    private static Running start(Mode mode, List<String> wrapper, List<String> args,
                                 java.util.Map<String, String> environment) {
        return start(mode, wrapper, args, environment, null);
    }

    private static Running start(Mode mode, List<String> wrapper, List<String> args,
                                 java.util.Map<String, String> environment, Path stdout) {
        return start(mode, wrapper, args, environment, stdout, Path.of("/tmp"));
    }

    /**
     * As {@link #run(Mode, List)} with stderr merged into stdout (one pipe, as {@code 2>&1}): the order in
     * which the launcher's and the workload's lines arrived. The merged text is the result's stdout.
     */
    public static Result runMerged(Mode mode, List<String> args) {
        try {
            Path out = Files.createTempFile("bulwark-it-merged", ".txt");
            try {
                ProcessBuilder builder = new ProcessBuilder(command(mode, List.of(), args, java.util.Map.of()))
                        .directory(new java.io.File("/tmp")).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).redirectInput(new java.io.File("/dev/null"));
                builder.environment().put("HOME", "/tmp");
                builder.environment().remove("BULWARK_PROFILE");
                Process process = builder.start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor();
                    throw new AssertionError("bulwark did not finish within 60 s: " + Running.read(out));
                }
                return new Result(process.exitValue(), Running.read(out), "");
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * As {@link #start(Mode, List, List)}, keeping the variables named in {@code kept} that the wrapper
     * sets (e.g. systemd-socket-activate's LISTEN_FDS and LISTEN_PID) across setpriv's --reset-env.
     */
    public static Running startKeeping(Mode mode, List<String> wrapper, List<String> args, List<String> kept) {
        List<String> command = new ArrayList<>(wrapper);
        if (mode == Mode.ROOTLESS) { // a shell reads the wrapper's values before setpriv clears them, then execs (same pid)
            StringBuilder script = new StringBuilder("exec " + String.join(" ", setpriv()) + " env HOME=/tmp");
            kept.forEach(name -> script.append(' ').append(name).append("=\"$").append(name).append('"'));
            command.addAll(List.of("sh", "-c", script.append(" \"$@\"").toString(), "sh"));
        }
        command.addAll(launcherCommand());
        command.addAll(args);
        return startCommand(command, java.util.Map.of(), null, Path.of("/tmp"));
    }

    /** setpriv to the rootless user with a reset environment, ending with "--". */
    public static List<String> setpriv() {
        return List.of("setpriv", "--reuid=" + Mode.rootlessUid(), "--regid=" + Mode.rootlessGid(),
                "--clear-groups", "--reset-env", "--");
    }

    /** The command that runs the CLI under test (the native binary, or java with the copied class path), without arguments: for wrapper scripts. */
    public static List<String> launcherCommand() {
        if (NATIVE) {
            return List.of(NATIVE_BINARY.toString());
        }
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Djava.io.tmpdir=/tmp", "-cp", CLASSPATH_DIR + "/*",
                "dev.bulwark.launcher.cli.BulwarkCli");
    }

    private static List<String> command(Mode mode, List<String> wrapper, List<String> args, java.util.Map<String, String> environment) {
        List<String> command = new ArrayList<>(wrapper);
        if (mode == Mode.ROOTLESS) {
            command.addAll(setpriv());
            if (!environment.isEmpty()) {
                command.add("env"); // execs java: the launcher keeps this process's pid
                environment.forEach((key, value) -> command.add(key + "=" + value));
            }
        }
        command.addAll(launcherCommand());
        command.addAll(args);
        return command;
    }

    private static Running start(Mode mode, List<String> wrapper, List<String> args,
                                 java.util.Map<String, String> environment, Path stdout, Path workingDirectory) {
        return startCommand(command(mode, wrapper, args, environment), environment, stdout, workingDirectory);
    }

    private static Running startCommand(List<String> command, java.util.Map<String, String> environment, Path stdout,
                                        Path workingDirectory) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.directory(workingDirectory.toFile());
            builder.environment().put("HOME", "/tmp");
            builder.environment().remove("BULWARK_PROFILE"); // the machine's choice never changes what a test runs
            builder.environment().remove("NOTIFY_SOCKET"); // nor a service manager the tests run under: relayed only when given
            builder.environment().putAll(environment);
            Path out = Files.createTempFile("bulwark-it-out", ".txt");
            Path err = Files.createTempFile("bulwark-it-err", ".txt");
            builder.redirectOutput(stdout != null ? ProcessBuilder.Redirect.appendTo(stdout.toFile()) : ProcessBuilder.Redirect.to(out.toFile()))
                    .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            return new Running(builder.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The state root tests use, per mode, so that it is readable for the mode's user. */
    public static Path stateRoot(Mode mode) {
        return STATE_ROOT_BASE.resolve(mode.name().toLowerCase());
    }

    /** A CLI process that is still running. */
    public record Running(Process process, Path out, Path err) {
        public Result await(int seconds) {
            try {
                if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor();
                    throw new AssertionError("bulwark did not finish within " + seconds + " s: " + read(err));
                }
                return new Result(process.exitValue(), read(out), read(err));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            } finally {
                try {
                    Files.deleteIfExists(out);
                    Files.deleteIfExists(err);
                } catch (IOException ignored) {
                    // temp files
                }
            }
        }

        public String stdoutSoFar() {
            return read(out);
        }

        public String stderrSoFar() {
            return read(err);
        }

        private static String read(Path file) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }
    }

    private static Path copyClasspath() {
        Path launcherTarget = locateLauncherTarget();
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-cp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            List<Path> jars = new ArrayList<>();
            try (Stream<Path> top = Files.list(launcherTarget); Stream<Path> libs = Files.list(launcherTarget.resolve("lib"))) {
                top.filter(p -> p.getFileName().toString().matches("launcher-.*\\.jar")).forEach(jars::add);
                libs.forEach(jars::add);
            }
            for (Path jar : jars) {
                Path copy = dir.resolve(jar.getFileName());
                Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("copying the launcher's class path", e);
        }
    }

    private static String launcherChoice() {
        String choice = System.getProperty("bulwark.launcher", System.getenv().getOrDefault("BULWARK_LAUNCHER", "jvm"));
        choice = choice.isBlank() || choice.equals("auto") ? "jvm" : choice;
        if (!List.of("jvm", "native").contains(choice)) {
            throw new IllegalStateException("bulwark.launcher / BULWARK_LAUNCHER: expected jvm or native, got " + choice);
        }
        return choice;
    }

    /** The native launcher and its lib/, copied world-readable; it must be newer than the launcher jar it was built from. */
    private static Path copyNativeLauncher() {
        Path launcherTarget = locateLauncherTarget();
        Path source = launcherTarget.resolve("native");
        try {
            Path binary = source.resolve("bulwark");
            Path jar = launcherTarget.resolve("launcher-0.1.0-SNAPSHOT.jar");
            if (!Files.isExecutable(binary)
                    || (Files.exists(jar) && Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(binary)) > 0)) {
                throw new IllegalStateException("the native launcher was asked for (bulwark.launcher=native) but " + binary
                        + " is missing or older than the launcher jar: run scripts/build");
            }
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-native",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.createDirectory(dir.resolve("lib"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            List<Path> files = new ArrayList<>(List.of(binary));
            try (Stream<Path> libs = Files.list(source.resolve("lib"))) {
                libs.forEach(files::add);
            }
            for (Path file : files) {
                Path copy = dir.resolve(source.relativize(file));
                Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir.resolve("bulwark");
        } catch (IOException e) {
            throw new UncheckedIOException("copying the native launcher", e);
        }
    }

    private static Path locateLauncherTarget() {
        for (Path candidate : List.of(Path.of("../launcher/target"), Path.of("launcher/target"))) {
            if (Files.isDirectory(candidate.resolve("lib"))) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("launcher/target/lib not found: build with mvn verify from the repository root");
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
