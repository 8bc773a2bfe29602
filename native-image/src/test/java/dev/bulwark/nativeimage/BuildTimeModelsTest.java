package dev.bulwark.nativeimage;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the image builder runs to snapshot the CLI model and the warm config mapper works on the JVM too. */
class BuildTimeModelsTest {
    @Test
    void theBuildTimeCommandLineRunsACommand() {
        var commandLine = BuildTimeModels.commandLine();
        assertTrue(commandLine.getSubcommands().keySet().containsAll(java.util.List.of("run", "create", "exec", "help")));
        StringWriter out = new StringWriter();
        commandLine.setOut(new PrintWriter(out));
        assertEquals(0, dev.bulwark.launcher.cli.BulwarkCli.execute(commandLine, "--version"));
        assertTrue(out.toString().startsWith("bulwark version "), out.toString());
    }
}
