package dev.bulwark.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs docs/tutorial.md so that it never goes stale: every {@code ```console} block runs as root in
 * one bash, with {@code bulwark} on PATH; a line starting with "$ " is a command (a trailing "\"
 * continues it), the lines after it are output it must print, each inside a line of its output
 * (stdout and stderr merged), in order; a line "..." stands for lines not shown, "..." within a line
 * for any text.
 */
class TutorialTest {
    private static final Path TUTORIAL = Path.of("..", "docs", "tutorial.md");
    private static final String MARKER = "@@bulwark-tutorial-step@@";

    /** One command of a block and the output lines it claims. */
    record Step(String command, List<String> expected) {
    }

    @Test
    void everyCommandOfTheTutorialPrintsWhatTheTutorialSays() throws Exception {
        Mode.ROOT.assumeAvailable();
        Bundles.assumeBusybox();
        List<List<Step>> blocks = blocks(Files.readAllLines(TUTORIAL));
        assertTrue(blocks.size() >= 12, "the tutorial has its blocks: " + blocks.size());
        Path bin = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-tutorial",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            Path wrapper = bin.resolve("bulwark");
            Files.writeString(wrapper, "#!/bin/sh\nexec " + Cli.launcherCommand().stream().map(TutorialTest::quote)
                    .collect(Collectors.joining(" ")) + " \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (List<Step> block : blocks) {
                check(block, run(block, bin));
            }
        } finally {
            new ProcessBuilder(bin.resolve("bulwark").toString(), "delete", "--force", "tutorial")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            Cli.deleteTree(bin);
            Files.deleteIfExists(Path.of("/tmp/tutorial.out")); // the inspect step's output file
        }
    }

    /** The blocks' steps: one list per {@code ```console} block. */
    static List<List<Step>> blocks(List<String> lines) {
        List<List<Step>> blocks = new ArrayList<>();
        List<Step> block = null;
        StringBuilder command = null;
        List<String> expected = null;
        boolean continued = false;
        for (String line : lines) {
            if (block == null) {
                if (line.strip().equals("```console")) {
                    block = new ArrayList<>();
                }
                continue;
            }
            if (line.strip().equals("```")) {
                if (command != null) {
                    block.add(new Step(command.toString(), expected));
                }
                blocks.add(block);
                block = null;
                command = null;
                continue;
            }
            if (continued) {
                command.append('\n').append(line);
                continued = line.endsWith("\\");
            } else if (line.startsWith("$ ")) {
                if (command != null) {
                    block.add(new Step(command.toString(), expected));
                }
                command = new StringBuilder(line.substring(2));
                expected = new ArrayList<>();
                continued = line.endsWith("\\");
            } else if (!line.isBlank() && !line.strip().equals("...")) {
                assertNotNull(expected, "output before any command in a console block: " + line);
                expected.add(line.stripTrailing());
            }
        }
        return blocks;
    }

    /** Each step's output, in order (one bash for the block, so a step can use what an earlier one did). */
    private static List<String> run(List<Step> block, Path bin) throws IOException, InterruptedException {
        StringBuilder script = new StringBuilder();
        for (Step step : block) {
            script.append("echo ").append(MARKER).append('\n').append(step.command()).append('\n');
        }
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script.toString()).directory(new java.io.File("/tmp"))
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        builder.environment().put("HOME", "/tmp");
        builder.environment().remove("BULWARK_PROFILE");
        Path out = Files.createTempFile("bulwark-it-tutorial", ".txt");
        try {
            Process process = builder.redirectOutput(out.toFile()).start();
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
                fail("the block did not finish within 180 s:\n" + script + "\n" + Files.readString(out));
            }
            String output = Files.readString(out);
            List<String> parts = new ArrayList<>(List.of(output.split(MARKER + "\n", -1)));
            assertEquals(block.size() + 1, parts.size(), "every step ran:\n" + output);
            return parts.subList(1, parts.size());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void check(List<Step> block, List<String> outputs) {
        for (int i = 0; i < block.size(); i++) {
            Step step = block.get(i);
            List<String> lines = outputs.get(i).lines().toList();
            int at = 0;
            for (String expected : step.expected()) {
                int found = -1;
                for (int j = at; j < lines.size(); j++) {
                    if (matches(lines.get(j), expected)) {
                        found = j;
                        break;
                    }
                }
                assertTrue(found >= 0, "docs/tutorial.md: `" + step.command() + "` prints \"" + expected
                        + "\" (after output line " + at + "), but printed:\n" + outputs.get(i));
                at = found + 1;
            }
        }
    }

    /** {@code expected}'s parts between "..." appear in {@code line}, in order. */
    static boolean matches(String line, String expected) {
        int at = 0;
        for (String part : expected.split("\\.\\.\\.", -1)) {
            int found = line.indexOf(part, at);
            if (found < 0) {
                return false;
            }
            at = found + part.length();
        }
        return true;
    }

    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
