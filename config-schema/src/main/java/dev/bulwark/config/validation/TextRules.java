package dev.bulwark.config.validation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.model.Spec;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Rules for every string in the spec, whatever its field: each must be valid Unicode (JSON lets
 * {@code "\ud800"} through, but it has no UTF-8 form, so the kernel would get a different name than the
 * config says), and none may contain NUL (strings reach the kernel as C strings, which would silently
 * end there; even annotations do, e.g. the Landlock rules one).
 */
final class TextRules {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private TextRules() {
    }

    static void check(Spec spec, Problems problems) {
        if (SpecWriter.allStrings(spec, TextRules::isClean)) {
            return; // the usual case, checked without building the tree; a bad string is then found again with its path
        }
        walk(SpecWriter.toTree(spec), () -> "", problems);
    }

    private static boolean isClean(String text) {
        return Unicode.isValid(text) && text.indexOf('\0') < 0;
    }

    /** The path of a node is built only for a problem: a config has thousands of strings (seccomp names) and rarely a bad one. */
    private static void walk(JsonNode node, Supplier<String> path, Problems problems) {
        if (node.isTextual()) {
            checkText(path, node.textValue(), problems);
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                int index = i;
                walk(node.get(i), () -> Problems.at(path.get(), index), problems);
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                String key = field.getKey();
                Supplier<String> child = () -> child(path.get(), key);
                checkText(child, key, problems); // map keys: env-like sysctl names, annotation keys
                walk(field.getValue(), child, problems);
            }
        }
    }

    private static String child(String path, String key) {
        if (!IDENTIFIER.matcher(key).matches() || !Unicode.isValid(key)) {
            return Problems.key(path, Unicode.printable(key));
        }
        return path.isEmpty() ? key : path + "." + key;
    }

    private static void checkText(Supplier<String> path, String text, Problems problems) {
        if (!Unicode.isValid(text)) {
            problems.add(path.get(), "is not valid Unicode (an unpaired surrogate such as \\ud800 has no UTF-8 form)");
        } else if (text.indexOf('\0') >= 0) {
            problems.add(path.get(), "must not contain NUL");
        }
    }
}
