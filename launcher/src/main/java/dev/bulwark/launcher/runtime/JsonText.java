package dev.bulwark.launcher.runtime;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.util.Map;

/** A JSON object written field by field, two-space indented; null values are left out. */
final class JsonText {
    private final StringBuilder out = new StringBuilder("{");
    private boolean first = true;

    JsonText field(String name, String value) {
        return value == null ? this : raw(name, quote(value));
    }

    JsonText field(String name, long value) {
        return raw(name, Long.toString(value));
    }

    JsonText field(String name, boolean value) {
        return raw(name, Boolean.toString(value));
    }

    JsonText field(String name, Map<String, String> value) {
        if (value == null) {
            return this;
        }
        StringBuilder map = new StringBuilder("{");
        boolean firstEntry = true;
        for (Map.Entry<String, String> e : value.entrySet()) {
            map.append(firstEntry ? "\n    " : ",\n    ").append(quote(e.getKey())).append(" : ").append(quote(e.getValue()));
            firstEntry = false;
        }
        return raw(name, map.append(firstEntry ? "}" : "\n  }").toString());
    }

    String close() {
        return out.append(first ? "}" : "\n}").append('\n').toString();
    }

    private JsonText raw(String name, String json) {
        out.append(first ? "\n  " : ",\n  ").append(quote(name)).append(" : ").append(json);
        first = false;
        return this;
    }

    /** A JSON string literal (jackson-core's encoder: one small class, not the databind machinery). */
    static String quote(String text) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + '"';
    }
}
