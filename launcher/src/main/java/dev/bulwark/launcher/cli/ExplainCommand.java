package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.explain.ExplainTopics;
import dev.bulwark.launcher.explain.Topic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code bulwark explain [TOPIC]}: what an isolation mechanism is, the threat it blocks and how Bulwark sets it. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Teach one isolation mechanism: what it is, which threat it blocks (named, with the CVE or "
                + "technique where one exists) and how Bulwark sets it up. TOPIC is a layer name (capabilities, userns, "
                + "seccomp, landlock, no_new_privs, cgroups, pivot_root, masked-paths, mount-namespace, pid-namespace, "
                + "network, ...) or a config field path (linux.seccomp, process.capabilities, linux.namespaces, "
                + "root.readonly, mounts, ...). Without TOPIC, lists the topics. The audit's findings name the topic "
                + "to read.",
                "Exit status 1: no such topic (the nearest ones are named)."},
        footer = {"", "Examples:",
                "  bulwark explain                       # the list of topics",
                "  bulwark explain seccomp               # the layer",
                "  bulwark explain process.capabilities  # the same by its config field",
                "  bulwark explain userns | less"})
final class ExplainCommand implements Callable<Integer> {
    static final int NO_SUCH_TOPIC = 1;
    private static final int WIDTH = 100;

    @Parameters(paramLabel = "TOPIC", arity = "0..1", description = "a layer name or config field path; "
            + "'bulwark explain' lists them")
    String topic;

    @picocli.CommandLine.Spec
    CommandSpec command;

    @Override
    public Integer call() {
        ExplainTopics topics = ExplainTopics.load();
        PrintWriter out = command.commandLine().getOut();
        if (topic == null) {
            out.println("Topics (bulwark explain TOPIC; a config field path works too):");
            for (Topic each : topics.all()) {
                out.printf("  %-17s %s%n", each.name(), each.title());
            }
            out.flush();
            return 0;
        }
        Topic found = topics.find(topic).orElseThrow(() -> unknown(topics, topic));
        out.print(render(found));
        out.flush();
        return 0;
    }

    private static LaunchException unknown(ExplainTopics topics, String name) {
        List<String> nearest = topics.nearest(name, 3);
        return new LaunchException("explain: no topic \"" + name + "\"" + (nearest.isEmpty() ? "" : "; nearest: "
                + String.join(", ", nearest)) + " ('bulwark explain' lists them all)", NO_SUCH_TOPIC, null);
    }

    static String render(Topic topic) {
        StringBuilder text = new StringBuilder();
        text.append(topic.name());
        if (topic.names().size() > 1) {
            text.append(" (also: ").append(String.join(", ", topic.names().subList(1, topic.names().size()))).append(')');
        }
        text.append('\n').append(topic.title()).append("\n\n");
        section(text, "What it is", topic.what());
        section(text, "Threat it blocks", topic.threat());
        section(text, "How Bulwark sets it", topic.bulwark());
        return text.toString();
    }

    private static void section(StringBuilder text, String heading, String paragraph) {
        text.append(heading).append(":\n").append(TextWrap.wrap(paragraph, WIDTH, "  ", "  ")).append('\n');
    }
}
