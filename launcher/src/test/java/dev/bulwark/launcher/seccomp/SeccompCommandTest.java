package dev.bulwark.launcher.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.launcher.cli.SeccompCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SeccompCommandTest {
    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new SeccompCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()));
        assertEquals(0, cli.execute(args));
        return out.toString();
    }

    @Test
    void showPrintsTheDefaultProfileAsJsonWithoutNulls() {
        String json = run("show", "--arch", "x86_64");
        assertTrue(json.contains("\"defaultAction\" : \"SCMP_ACT_ERRNO\""), json);
        assertTrue(json.contains("\"architectures\" : [ \"SCMP_ARCH_X86_64\" ]"), json); // native ABI only
        assertTrue(json.contains("\"value\" : 4294967295"), json); // int arguments compared through a 32-bit mask
        assertFalse(json.contains("null"), json);
        assertFalse(json.contains("\"ptrace\""));
        assertTrue(run("show", "--arch", "x86_64", "--cap", "CAP_SYS_PTRACE").contains("\"ptrace\""));
    }

    @Test
    void compilePrintsAListingOrWritesBytes(@TempDir Path dir) throws Exception {
        assertTrue(run("compile", "--arch", "aarch64").contains("ret KILL_PROCESS"));
        Path out = dir.resolve("filter.bpf");
        run("compile", "--arch", "x86_64", "--output", out.toString());
        assertEquals(0, Files.size(out) % SeccompProgram.INSTRUCTION_BYTES);
        assertTrue(Files.size(out) > 0);
    }
}
