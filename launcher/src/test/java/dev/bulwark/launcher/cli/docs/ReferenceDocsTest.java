package dev.bulwark.launcher.cli.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generated reference: one troff page per command, valid requests only, AsciiDoc and bash completion beside it. */
class ReferenceDocsTest {
    private static final Set<String> REQUESTS = Set.of(".TH", ".SH", ".PP", ".TP", ".nf", ".fi", ".\\\"");

    @Test
    void writesAPagePerCommandAndTheCompletionScript(@TempDir Path target) throws Exception {
        ReferenceDocs.write(target);
        Path man1 = target.resolve("man/man1");
        for (String page : List.of("bulwark.1", "bulwark-run.1", "bulwark-audit.1", "bulwark-explain.1", "bulwark-help.1",
                "bulwark-seccomp.1", "bulwark-seccomp-compile.1", "bulwark-list.1")) {
            String troff = Files.readString(man1.resolve(page));
            assertTrue(troff.contains("\n.SH EXAMPLES\n"), page);
            for (String line : troff.lines().toList()) {
                if (line.startsWith(".") || line.startsWith("'")) {
                    assertTrue(REQUESTS.contains(line.split(" ")[0]), page + ": not a request this renderer writes: " + line);
                }
            }
        }
        assertTrue(Files.readString(man1.resolve("bulwark-run.1")).contains("\\fB\\-\\-stop\\-timeout\\fR=\\fISECONDS\\fR"));
        assertTrue(Files.isRegularFile(target.resolve("man/adoc/bulwark-audit.adoc")));
        String completion = Files.readString(target.resolve("completion/bulwark.bash"));
        assertTrue(completion.contains("complete -F _complete_bulwark") || completion.contains("_complete_bulwark bulwark"));
    }

    @Test
    void troffEscapesBackslashesHyphensAndLeadingDots() {
        assertEquals("\\-\\-root", ManPage.escape("--root"));
        assertEquals("a\\eb", ManPage.escape("a\\b"));
        assertEquals("\\&.hidden", ManPage.escapeLine(".hidden"));
    }
}
