package dev.bulwark.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bad inputs of issue 7, through the real CLI in a new JVM: each gets one line naming the field or
 * flag and the reason, exit 125, and leaves nothing behind. A config without linux and hostname is
 * valid (the runtime-spec makes both optional) and runs.
 */
class InputErrorsTest {
    /** A qualified Java class name, an exception's name, or a stack frame. */
    private static final Pattern JAVA = Pattern.compile(
            "\\b(?:[a-z][a-z0-9_]*\\.){2,}[A-Z]\\w*|\\b\\w+(?:Exception|Error)\\b|^\\s*at [a-z]", Pattern.MULTILINE);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static int counter;

    private static String newId(Mode mode) {
        return "input-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** "run -- CMD" is the built-in default even where the working directory holds a bundle's config.json. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aCommandAfterDoubleDashNeverRunsTheWorkingDirectorysBundle(Mode mode) throws IOException {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/true"));
        String id = "cwd-bundle-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid();
        try {
            assertTrue(Files.exists(bundle.resolve("config.json")));
            Cli.Result result = Cli.runIn(mode, bundle, Containers.runDefault(mode, id, "/bin/sh", "-c",
                    "test -e /usr/lib/os-release && echo built-in root || echo bundle root; grep NoNewPrivs /proc/self/status"));
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(result.stdout().contains("built-in root"), result.describe());
            assertTrue(result.stdout().matches("(?s).*NoNewPrivs:\\s+1.*"), result.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void configWithoutLinuxAndHostnameRunsWithTheHardenedLinuxDefaults(Mode mode) throws IOException {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c",
                "echo $$; cat /proc/self/uid_map; grep -c . /proc/self/mountinfo"));
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            editConfig(bundle, config -> {
                config.remove("linux");
                config.remove("hostname");
            });
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(0, result.exitCode(), result.describe());
            List<String> lines = result.stdout().lines().toList();
            assertEquals("1", lines.get(0), "a pid namespace of its own: " + result.describe());
            String expectedMap = mode == Mode.ROOT ? "0 1000000000 65536" : "0 " + Mode.rootlessUid() + " 1";
            assertEquals(expectedMap, lines.get(1).trim().replaceAll("\\s+", " "), "container root is not host root");
            assertEquals("", result.errors(), result.describe());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void nulInRootPathIsOneLineNamingTheField() throws IOException {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        assertBadConfig(mode, text -> text.replace("\"rootfs\"", "\"root\\u0000fs\""), "bulwark: root.path: must not contain NUL");
    }

    @Test
    void loneSurrogateInRootPathIsOneLineNamingTheField() throws IOException {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        assertBadConfig(mode, text -> text.replace("\"rootfs\"", "\"root\\ud800fs\""),
                "bulwark: root.path: is not valid Unicode (an unpaired surrogate such as \\ud800 has no UTF-8 form)");
    }

    @Test
    void hostIdRangeWithoutNumbersIsOneLineNamingTheFlag() {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        String id = newId(mode);
        List<String> args = Containers.runDefault(mode, id, "/bin/true");
        args.addAll(1, List.of("--host-id-range", ":"));
        Cli.Result result = Cli.run(mode, args);
        assertOneLine(result, "bulwark: Invalid value for option '--host-id-range': expected START[:SIZE] as decimal numbers, "
                + "START is missing or not a number in \":\" (see bulwark run --help)");
        assertFalse(Files.exists(Containers.stateRoot(mode).resolve(id)));
    }

    @Test
    void seccompConfigThatIsADirectoryMissingOrNotJsonIsOneLine(@TempDir Path dir) throws IOException {
        Mode.ROOT.assumeAvailable();
        Path notJson = Files.writeString(dir.resolve("notes.txt"), "not JSON\n");
        assertOneLine(Cli.run(Mode.ROOT, List.of("seccomp", "show", "--config", dir.toString())),
                "bulwark: --config: " + dir + " is a directory; give the config.json file in it");
        assertOneLine(Cli.run(Mode.ROOT, List.of("seccomp", "show", "--config", dir.resolve("missing.json").toString())),
                "bulwark: --config: " + dir.resolve("missing.json") + ": does not exist");
        assertOneLine(Cli.run(Mode.ROOT, List.of("seccomp", "compile", "--config", notJson.toString())),
                "bulwark: --config: " + notJson + ":1:5: Unrecognized token 'not': was expecting "
                        + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
    }

    @Test
    void seccompOutputThatIsADirectoryOrInAMissingDirectoryIsOneLine(@TempDir Path dir) {
        Mode.ROOT.assumeAvailable();
        assertOneLine(Cli.run(Mode.ROOT, List.of("seccomp", "compile", "--output", dir.toString())),
                "bulwark: --output: " + dir + " is a directory; give a file name");
        Path nowhere = dir.resolve("missing/filter.bpf");
        assertOneLine(Cli.run(Mode.ROOT, List.of("seccomp", "compile", "--output", nowhere.toString())),
                "bulwark: --output: " + nowhere + ": the directory it would go in does not exist");
    }

    /** Writes the bundle's config edited as text, runs it, and expects exactly {@code expected} on stderr. */
    private static void assertBadConfig(Mode mode, java.util.function.UnaryOperator<String> edit, String expected)
            throws IOException {
        Path bundle = Bundles.create(mode, spec -> spec);
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            Path config = bundle.resolve("config.json");
            String edited = edit.apply(Files.readString(config));
            assertTrue(edited.contains("\\u"), "the edit applied");
            Files.writeString(config, edited);
            assertOneLine(Cli.run(mode, Containers.runBundle(mode, bundle, id)), expected);
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            Bundles.delete(bundle);
        }
    }

    private static void assertOneLine(Cli.Result result, String expected) {
        assertEquals(125, result.exitCode(), result.describe());
        assertEquals(expected + "\n", result.errors(), result.describe());
        assertFalse(JAVA.matcher(result.stderr()).find(), result.describe());
    }

    private static void editConfig(Path bundle, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path config = bundle.resolve("config.json");
        ObjectNode tree = (ObjectNode) JSON.readTree(config.toFile());
        edit.accept(tree);
        Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
    }
}
