package dev.bulwark.launcher.cli.docs;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One command's manual page in man(7) troff, rendered from the picocli model: what {@code man -l} shows without
 * any converter (picocli-codegen writes AsciiDoc, which needs asciidoctor to become troff). Sections: NAME,
 * SYNOPSIS, DESCRIPTION, OPTIONS, ARGUMENTS, COMMANDS, NOTES (the help footer's prose), EXAMPLES, SEE ALSO.
 */
final class ManPage {
    private static final int SHORT = 70;

    private ManPage() {
    }

    /** "bulwark-seccomp-show": the page's name. */
    static String pageName(CommandSpec command) {
        return command.qualifiedName("-");
    }

    static String render(CommandSpec command, String version) {
        StringBuilder page = new StringBuilder();
        String name = pageName(command);
        page.append(".\\\" Generated from the picocli model by dev.bulwark.launcher.cli.docs.ReferenceDocs; do not edit.\n")
                .append(".TH \"").append(name.toUpperCase(java.util.Locale.ROOT)).append("\" 1 \"\" \"Bulwark ")
                .append(escape(version)).append("\" \"Bulwark Manual\"\n")
                .append(".SH NAME\n").append(escape(name)).append(" \\- ").append(escape(firstSentence(command))).append('\n');
        page.append(".SH SYNOPSIS\n.nf\n");
        String synopsis = new CommandLine.Help(command, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF)).synopsis(0);
        synopsis.lines().forEach(line -> page.append(escapeLine(line)).append('\n'));
        page.append(".fi\n.SH DESCRIPTION\n");
        for (String paragraph : command.usageMessage().description()) {
            if (!paragraph.isBlank()) {
                page.append(".PP\n").append(escapeLine(paragraph)).append('\n');
            }
        }
        options(page, command);
        arguments(page, command);
        commands(page, command);
        footer(page, command);
        seeAlso(page, command);
        return page.toString();
    }

    private static String firstSentence(CommandSpec command) {
        String description = String.join(" ", command.usageMessage().description()).strip();
        int end = description.indexOf(". ");
        String sentence = end < 0 ? description : description.substring(0, end + 1);
        if (sentence.length() > SHORT) { // NAME is one short line: cut at the first clause break past a few words
            sentence = sentence.substring(0, clauseEnd(sentence));
        }
        return sentence.endsWith(".") ? sentence.substring(0, sentence.length() - 1) : sentence;
    }

    /** Where the first clause ends: a ';', ':', ',' or '(' outside parentheses, after the first 20 characters. */
    private static int clauseEnd(String sentence) {
        int depth = 0;
        for (int i = 0; i < sentence.length(); i++) {
            char c = sentence.charAt(i);
            if (i >= 20 && depth == 0 && (c == ';' || c == ':' || c == ',' || c == '(')) {
                return c == '(' ? i - 1 : i;
            }
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        }
        return sentence.length();
    }

    private static void options(StringBuilder page, CommandSpec command) {
        List<OptionSpec> options = command.options().stream().filter(option -> !option.hidden()).toList();
        if (options.isEmpty()) {
            return;
        }
        page.append(".SH OPTIONS\n");
        for (OptionSpec option : options) {
            List<String> names = new ArrayList<>();
            for (String optionName : option.names()) {
                names.add("\\fB" + escape(optionName) + "\\fR");
            }
            String label = option.arity().max() > 0 ? "=\\fI" + escape(option.paramLabel()) + "\\fR" : "";
            page.append(".TP\n").append(String.join(", ", names)).append(label).append('\n')
                    .append(escapeLine(description(option))).append('\n');
        }
    }

    private static void arguments(StringBuilder page, CommandSpec command) {
        List<PositionalParamSpec> positionals = command.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (positionals.isEmpty()) {
            return;
        }
        page.append(".SH ARGUMENTS\n");
        for (PositionalParamSpec positional : positionals) {
            page.append(".TP\n\\fI").append(escape(positional.paramLabel())).append("\\fR\n")
                    .append(escapeLine(description(positional))).append('\n');
        }
    }

    private static void commands(StringBuilder page, CommandSpec command) {
        Set<CommandSpec> subcommands = new LinkedHashSet<>();
        command.subcommands().values().forEach(sub -> subcommands.add(sub.getCommandSpec()));
        if (subcommands.isEmpty()) {
            return;
        }
        page.append(".SH COMMANDS\n");
        for (CommandSpec sub : subcommands) {
            page.append(".TP\n\\fB").append(escape(sub.name())).append("\\fR\n")
                    .append(escapeLine(firstSentence(sub))).append(" See \\fB").append(escape(pageName(sub))).append("\\fR(1).\n");
        }
    }

    /** The help footer: prose before "Examples:" becomes NOTES, the lines after it EXAMPLES, kept as written. */
    private static void footer(StringBuilder page, CommandSpec command) {
        List<String> footer = List.of(command.usageMessage().footer());
        int examples = footer.indexOf("Examples:");
        List<String> notes = examples < 0 ? footer : footer.subList(0, examples);
        if (notes.stream().anyMatch(line -> !line.isBlank())) {
            page.append(".SH NOTES\n");
            notes.stream().filter(line -> !line.isBlank())
                    .forEach(paragraph -> page.append(".PP\n").append(escapeLine(paragraph)).append('\n'));
        }
        if (examples >= 0) {
            page.append(".SH EXAMPLES\n.nf\n");
            footer.subList(examples + 1, footer.size()).forEach(line -> page.append(escapeLine(line)).append('\n'));
            page.append(".fi\n");
        }
    }

    private static void seeAlso(StringBuilder page, CommandSpec command) {
        List<String> related = new ArrayList<>();
        if (command.parent() != null) {
            related.add("\\fB" + escape(pageName(command.parent())) + "\\fR(1)");
        }
        if (!command.name().equals("explain")) {
            related.add("\\fBbulwark\\-explain\\fR(1)");
        }
        page.append(".SH SEE ALSO\n").append(String.join(", ", related)).append('\n');
    }

    private static String description(ArgSpec arg) {
        String text = String.join(" ", arg.description()).strip();
        return arg.descriptionKey() == null && text.contains("${") ? text.replaceAll("\\$\\{[^}]*}", "") : text;
    }

    /** Text safe inside a troff line: backslashes and hyphens escaped. */
    static String escape(String text) {
        return text.replace("\\", "\\e").replace("-", "\\-");
    }

    /** A whole line: also guards a leading '.' or '\'' that troff would take for a request. */
    static String escapeLine(String text) {
        String escaped = escape(text);
        return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
    }
}
