package dev.bulwark.launcher.explain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The topics of {@code bulwark explain}, read from {@code topics.txt} beside this class: the text is data, so
 * it can be read and corrected without touching code. Format: a topic starts with {@code == NAME | ALIAS...},
 * followed by {@code title:}, {@code what:}, {@code threat:} and {@code bulwark:} fields, each continued on lines
 * that start with two spaces; {@code #} starts a comment line.
 */
public final class ExplainTopics {
    private static final String RESOURCE = "topics.txt";
    private static final List<String> FIELDS = List.of("title", "what", "threat", "bulwark");

    private final List<Topic> topics;

    private ExplainTopics(List<Topic> topics) {
        this.topics = List.copyOf(topics);
    }

    /** The topics shipped with Bulwark. */
    public static ExplainTopics load() {
        try (InputStream in = ExplainTopics.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE + " beside " + ExplainTopics.class.getName());
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ExplainTopics parse(List<String> lines) {
        List<Topic> topics = new ArrayList<>();
        List<String> names = null;
        Map<String, StringBuilder> fields = new LinkedHashMap<>();
        String field = null;
        int number = 0;
        for (String line : lines) {
            number++;
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            if (line.startsWith("== ")) {
                addTopic(topics, names, fields, number);
                names = List.of(line.substring(3).split("\\s*\\|\\s*")).stream().map(String::strip).toList();
                fields = new LinkedHashMap<>();
                field = null;
            } else if (line.startsWith("  ") && field != null) {
                fields.get(field).append(' ').append(line.strip());
            } else {
                int colon = line.indexOf(':');
                field = colon < 0 ? null : line.substring(0, colon);
                if (names == null || field == null || !FIELDS.contains(field)) {
                    throw new IllegalStateException(RESOURCE + " line " + number + ": expected '== NAME', a field ("
                            + String.join(", ", FIELDS) + ") or a continuation line");
                }
                fields.put(field, new StringBuilder(line.substring(colon + 1).strip()));
            }
        }
        addTopic(topics, names, fields, number);
        return new ExplainTopics(topics);
    }

    private static void addTopic(List<Topic> topics, List<String> names, Map<String, StringBuilder> fields, int line) {
        if (names == null) {
            return;
        }
        for (String field : FIELDS) {
            if (!fields.containsKey(field) || fields.get(field).isEmpty()) {
                throw new IllegalStateException(RESOURCE + ": topic " + names.get(0) + " (before line " + line
                        + ") has no " + field);
            }
        }
        topics.add(new Topic(names, fields.get("title").toString(), fields.get("what").toString(),
                fields.get("threat").toString(), fields.get("bulwark").toString()));
    }

    public List<Topic> all() {
        return topics;
    }

    /** The topic {@code name} names (its name or an alias, any case, with or without a leading "--"). */
    public Optional<Topic> find(String name) {
        String key = key(name);
        return topics.stream().filter(topic -> topic.names().stream().anyMatch(n -> key(n).equals(key))).findFirst();
    }

    /** Up to {@code limit} topic names nearest to an unknown one: containing it, or a few edits away. */
    public List<String> nearest(String name, int limit) {
        String key = key(name);
        record Candidate(String name, int distance) {
        }
        Map<String, Candidate> best = new LinkedHashMap<>();
        for (Topic topic : topics) {
            for (String candidate : topic.names()) {
                String other = key(candidate);
                int distance = other.contains(key) || key.contains(other) ? 0 : editDistance(key, other);
                Candidate current = best.get(topic.name());
                if (current == null || distance < current.distance()) {
                    best.put(topic.name(), new Candidate(distance == 0 ? topic.name() : candidate, distance));
                }
            }
        }
        int threshold = Math.max(2, key.length() / 3);
        return best.values().stream().filter(c -> c.distance() <= threshold)
                .sorted(Comparator.comparingInt(Candidate::distance)).limit(limit).map(Candidate::name).toList();
    }

    private static String key(String name) {
        String key = name.strip().toLowerCase(Locale.ROOT);
        return key.startsWith("--") ? key.substring(2) : key;
    }

    /** Levenshtein distance. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
