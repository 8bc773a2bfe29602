package dev.bulwark.api;

import org.junit.jupiter.api.Test;

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
 * The API used by an unprivileged JVM: {@link RootlessProbe} in a JVM of its own as the user
 * bulwark-test (setpriv from this root JVM, as the integration tests run the CLI rootless), with a
 * copy of this test class path that user can read.
 */
class RootlessApiTest {
    private static final String USER = "bulwark-test";

    @Test
    void theApiWorksRootlessIncludingPastaAndThreads() throws Exception {
        assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"), "needs root to switch to " + USER);
        assumeTrue(new ProcessBuilder("id", "-u", USER).start().waitFor() == 0, "no user " + USER + " (scripts/setup-test-host)");
        Path copy = Files.createTempDirectory("bulwark-api-rootless");
        try {
            String classPath = copyClassPath(copy);
            String uid = output("id", "-u", USER);
            String gid = output("id", "-g", USER);
            boolean pasta = Files.isExecutable(Path.of("/usr/bin/pasta"));
            List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                    "--reset-env", "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djava.io.tmpdir=/tmp", "-cp", classPath, RootlessProbe.class.getName()));
            if (pasta) {
                command.add("pasta");
            }
            Path log = copy.resolve("probe.log"); // a file, not a pipe: a long report cannot block the probe
            Process probe = new ProcessBuilder(command).directory(new File("/tmp")).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            boolean ended = probe.waitFor(300, TimeUnit.SECONDS);
            if (!ended) {
                probe.destroyForcibly().waitFor(); // our own child, by its handle
            }
            String out = Files.readString(log);
            assertTrue(ended, "the rootless probe still ran after 300 s:\n" + out);
            assertEquals(0, probe.exitValue(), out);
            for (String check : pasta ? List.of("run", "stop", "threads", "exec", "stdin", "output-limit", "stress", "pasta", "nothing-left")
                    : List.of("run", "stop", "threads", "exec", "stdin", "output-limit", "stress", "nothing-left")) {
                assertTrue(out.contains("ok " + check + "\n"), check + " missing in:\n" + out);
            }
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
