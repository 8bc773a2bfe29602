package dev.bulwark.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bulwark.config.model.Spec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * Writes a {@link Spec} as pretty-printed JSON: fields in the spec's order, no nulls, no empty
 * strings or collections (except capability sets, which are always written), uint64 values as
 * unsigned numbers. The output parses back to an equal {@link Spec}.
 */
public final class SpecWriter {
    private SpecWriter() {}

    public static String toJson(Spec spec) {
        try {
            return SpecJson.MAPPER.writeValueAsString(spec) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize spec", e); // records always serialize
        }
    }

    /** The spec as a JSON tree, with the field names config.json uses. */
    public static JsonNode toTree(Spec spec) {
        return SpecJson.MAPPER.valueToTree(spec);
    }

    public static void write(Spec spec, Writer out) throws IOException {
        out.write(toJson(spec));
        out.flush();
    }
}
