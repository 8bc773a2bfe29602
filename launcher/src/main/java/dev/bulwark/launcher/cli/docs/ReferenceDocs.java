package dev.bulwark.launcher.cli.docs;

import dev.bulwark.launcher.cli.BulwarkCli;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the reference documentation generated from the picocli model, at build time (the launcher's
 * {@code package} phase runs it; see launcher/pom.xml):
 * <ul>
 *   <li>{@code man/man1/bulwark*.1}: a troff manual page per command ({@link ManPage}), for {@code man -l FILE}
 *       or {@code MANPATH=launcher/target/man man bulwark-run}, with no converter needed;</li>
 *   <li>{@code man/adoc/bulwark*.adoc}: the same pages as AsciiDoc from picocli-codegen's ManPageGenerator, for
 *       asciidoctor (HTML or man);</li>
 *   <li>{@code completion/bulwark.bash}: bash completion from picocli's AutoComplete; zsh loads it through
 *       bashcompinit.</li>
 * </ul>
 * Not part of the runtime: picocli-codegen is a build-time (provided) dependency.
 */
public final class ReferenceDocs {
    private ReferenceDocs() {
    }

    /** Argument: the output directory (launcher/target). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: ReferenceDocs OUTPUT_DIRECTORY");
        }
        write(Path.of(args[0]));
    }

    static void write(Path target) throws IOException {
        CommandLine commandLine = BulwarkCli.commandLine();
        String version = version(commandLine);
        Path man = target.resolve("man");
        Files.createDirectories(man.resolve("adoc"));
        Files.createDirectories(man.resolve("man1"));
        List<CommandSpec> commands = new ArrayList<>();
        collect(commandLine.getCommandSpec(), commands);
        for (CommandSpec command : commands) {
            Files.writeString(man.resolve("man1").resolve(ManPage.pageName(command) + ".1"), ManPage.render(command, version),
                    StandardCharsets.UTF_8);
        }
        int status = ManPageGenerator.generateManPage(man.resolve("adoc").toFile(), null, new boolean[0], true,
                commandLine.getCommandSpec());
        if (status != 0) {
            throw new IOException("picocli ManPageGenerator failed with status " + status);
        }
        Path completion = target.resolve("completion");
        Files.createDirectories(completion);
        Files.writeString(completion.resolve("bulwark.bash"), AutoComplete.bash("bulwark", commandLine),
                StandardCharsets.UTF_8);
    }

    private static void collect(CommandSpec command, List<CommandSpec> into) {
        if (into.stream().noneMatch(seen -> seen.qualifiedName().equals(command.qualifiedName()))) {
            into.add(command);
            command.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), into));
        }
    }

    private static String version(CommandLine commandLine) {
        String[] lines = commandLine.getCommandSpec().version();
        if (lines.length == 0) {
            return "";
        }
        String first = lines[0]; // "bulwark version 0.1.0"
        return first.startsWith("bulwark version ") ? first.substring("bulwark version ".length()) : first;
    }
}
