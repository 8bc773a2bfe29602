package dev.bulwark.launcher.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Help everywhere, checked on the picocli model itself so that a new command or option cannot ship without it:
 * every command has a description and an "Examples:" section with at least one {@code bulwark ...} line, every
 * option and positional parameter has a description, and both {@code COMMAND --help} and {@code help COMMAND}
 * print it with exit status 0.
 */
class HelpModelTest {
    private static List<CommandSpec> allCommands() {
        List<CommandSpec> all = new ArrayList<>();
        collect(BulwarkCli.commandLine().getCommandSpec(), all);
        return all;
    }

    private static void collect(CommandSpec command, List<CommandSpec> into) {
        if (into.stream().anyMatch(seen -> seen.qualifiedName().equals(command.qualifiedName()))) {
            return; // an alias (ls) shares its command's spec
        }
        into.add(command);
        command.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), into));
    }

    @Test
    void theModelHoldsEveryCommand() {
        List<String> names = allCommands().stream().map(CommandSpec::qualifiedName).toList();
        for (String expected : List.of("bulwark run", "bulwark spec", "bulwark audit", "bulwark explain",
                "bulwark seccomp compile", "bulwark help")) {
            assertTrue(names.contains(expected), expected + " in " + names);
        }
    }

    @Test
    void everyCommandDescribesWhatItDoes() {
        for (CommandSpec command : allCommands()) {
            String description = String.join(" ", command.usageMessage().description()).strip();
            assertTrue(description.length() >= 40, command.qualifiedName() + ": description too short: \"" + description + "\"");
        }
    }

    @Test
    void everyCommandHasExamples() {
        for (CommandSpec command : allCommands()) {
            List<String> footer = List.of(command.usageMessage().footer());
            int examples = footer.indexOf("Examples:");
            assertTrue(examples >= 0, command.qualifiedName() + ": no \"Examples:\" line in its footer");
            assertTrue(footer.subList(examples + 1, footer.size()).stream().anyMatch(line -> line.strip().startsWith("bulwark ")
                            || line.contains("&& bulwark ")),
                    command.qualifiedName() + ": no example command after \"Examples:\"");
            for (String line : footer.subList(examples + 1, footer.size())) {
                assertTrue(line.length() <= 80, command.qualifiedName() + ": example wider than the help's 80 columns "
                        + "(picocli would break it): " + line);
            }
        }
    }

    @Test
    void everyOptionAndParameterIsDescribed() {
        for (CommandSpec command : allCommands()) {
            List<ArgSpec> args = new ArrayList<>(command.options());
            args.addAll(command.positionalParameters());
            for (ArgSpec arg : args) {
                String description = String.join(" ", arg.description()).strip();
                assertTrue(!description.isEmpty(), command.qualifiedName() + " " + arg.paramLabel()
                        + (arg.isOption() ? " (" + ((CommandLine.Model.OptionSpec) arg).longestName() + ")" : "")
                        + ": no description");
                if (arg.isOption() && arg.arity().max() > 0) {
                    assertTrue(!arg.paramLabel().startsWith("<"), command.qualifiedName() + " "
                            + ((CommandLine.Model.OptionSpec) arg).longestName() + ": label " + arg.paramLabel()
                            + " is picocli's field name; give a paramLabel");
                }
            }
        }
    }

    @Test
    void helpFlagAndHelpCommandPrintTheSameAndExitZero() {
        for (CommandSpec command : allCommands()) {
            if (command.parent() == null || command.name().equals("help")) {
                continue;
            }
            List<String> path = new ArrayList<>(List.of(command.qualifiedName().split(" ")));
            path.remove(0);
            List<String> flag = new ArrayList<>(path);
            flag.add("--help");
            String byFlag = run(flag);
            List<String> byCommandArgs = new ArrayList<>(List.of("help"));
            byCommandArgs.addAll(path);
            if (path.size() == 1) { // picocli's help command takes one level
                assertEquals(byFlag, run(byCommandArgs), command.qualifiedName());
            }
            assertTrue(byFlag.startsWith("Usage: " + command.qualifiedName()), byFlag);
            assertTrue(byFlag.contains("Examples:"), command.qualifiedName());
            assertTrue(!byFlag.contains("bulwark bulwark"), byFlag);
        }
    }

    /** The CLI's stdout for these arguments; fails unless the exit status is 0. */
    private static String run(List<String> args) {
        CommandLine commandLine = BulwarkCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int status = commandLine.execute(args.toArray(String[]::new));
        assertEquals(0, status, args + ": " + err);
        return out.toString();
    }
}
