package dev.bulwark.it;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arguments that look like JVM or native-image options ({@code -D}, {@code -X}, {@code -XX:}, {@code -R:}) belong
 * to the command line they were written on: the launcher (JVM or native, see Cli) neither consumes them nor lets
 * them change where it loads its native library from.
 */
class LauncherArgvTest {
    private static final List<String> OPTION_LIKE = List.of("-Xmx512m", "-Dfoo=bar", "-XX:+X",
            "-Djffi.boot.library.path=/nonexistent", "-Djava.util.logging.config.file=/nonexistent", "-R:MaxHeapSize=1k");

    @ParameterizedTest
    @EnumSource(Mode.class)
    void optionLikeArgumentsReachTheWorkloadUntouched(Mode mode) {
        mode.assumeAvailable();
        String id = "argv-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid();
        List<String> args = new ArrayList<>(List.of("run", "--id", id, "--root", Containers.stateRoot(mode).toString(),
                "--", "/bin/echo"));
        args.addAll(OPTION_LIKE);
        Cli.Result result = Cli.run(mode, args);
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals(String.join(" ", OPTION_LIKE) + "\n", result.stdout(), result.describe());
        assertEquals("", result.errors(), result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anOptionLikeArgumentForTheLauncherIsAnUnknownOption(Mode mode) {
        mode.assumeAvailable();
        Cli.Result result = Cli.run(mode, List.of("-Djffi.boot.library.path=/nonexistent", "features"));
        assertEquals(125, result.exitCode(), "an unknown option is refused by the CLI, not taken by the launcher: "
                + result.describe());
        assertTrue(result.stderr().contains("Unknown option: '-Djffi.boot.library.path=/nonexistent'"), result.describe());
    }
}
