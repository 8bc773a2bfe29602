package dev.bulwark.api;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs a probe's main in a JVM of its own as the user bulwark-test (setpriv from this root JVM, as the integration
 * tests run the CLI rootless), with a copy of this test class path that user can read. Shared by the API's and the
 * extension's rootless tests (the extension's through this module's test jar).
 */
public final class RootlessJvm {
    public static final String USER = "bulwark-test";
    private static final long PROBE_WAIT_SECONDS = 300;

    private RootlessJvm() {
    }

    /** Whether pasta is installed (a probe then also checks a published port). */
    public static boolean hasPasta() {
        return Files.isExecutable(Path.of("/usr/bin/pasta"));
    }

    /**
     * Runs {@code probe}'s main rootless with {@code args} and returns its output once it ended with status 0;
     * skips (an assumption) when this JVM is not root or the user is missing, fails when it ran longer than 300 s
     * or failed.
     */
    public static String run(Class<?> probe, List<String> args) throws Exception {
        assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"), "needs root to switch to " + USER);
        assumeTrue(new ProcessBuilder("id", "-u", USER).start().waitFor() == 0, "no user " + USER + " (scripts/setup-test-host)");
        Path copy = Files.createTempDirectory("bulwark-rootless-" + probe.getSimpleName());
        try {
            String classPath = copyClassPath(copy);
            String uid = output("id", "-u", USER);
            String gid = output("id", "-g", USER);
            List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                    "--reset-env", "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djava.io.tmpdir=/tmp", "-cp", classPath, probe.getName()));
            command.addAll(args);
            Path log = copy.resolve("probe.log"); // a file, not a pipe: a long report cannot block the probe
            Process process = new ProcessBuilder(command).directory(new File("/tmp")).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            boolean ended = process.waitFor(PROBE_WAIT_SECONDS, TimeUnit.SECONDS);
            if (!ended) {
                process.destroyForcibly().waitFor(); // our own child, by its handle
            }
            String out = Files.readString(log);
            assertTrue(ended, "the rootless probe still ran after " + PROBE_WAIT_SECONDS + " s:\n" + out);
            assertEquals(0, process.exitValue(), out);
            return out;
        } finally {
            try (Stream<Path> files = Files.walk(copy)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Jars and class directories of this JVM's test class path, copied where the rootless user can read them. */
    private static String copyClassPath(Path copy) throws IOException {
        copy.toFile().setReadable(true, false);
        copy.toFile().setExecutable(true, false);
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : classPath.split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (!Files.exists(source)) {
                continue;
            }
            Path target = copy.resolve((n++) + "-" + source.getFileName());
            try (Stream<Path> files = Files.walk(source)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Path to = target.resolve(source.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(to);
                    } else {
                        Files.createDirectories(to.getParent());
                        Files.copy(file, to);
                    }
                    to.toFile().setReadable(true, false);
                    to.toFile().setExecutable(Files.isDirectory(to), false);
                }
            }
            entries.add(target.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String output(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        p.waitFor();
        return new String(p.getInputStream().readAllBytes()).strip();
    }
}
