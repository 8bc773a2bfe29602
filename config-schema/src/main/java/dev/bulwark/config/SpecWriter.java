package dev.bulwark.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.bulwark.config.model.Spec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.function.Predicate;

/**
 * Writes a {@link Spec} as pretty-printed JSON: fields in the spec's order, no nulls, no empty
 * strings or collections (except capability sets, which are always written), uint64 values as
 * unsigned numbers. The output parses back to an equal {@link Spec}.
 */
public final class SpecWriter {
    private SpecWriter() {}

    /** The same serialisation without indentation, for files only Bulwark reads back (ObjectWriter is immutable). */
    private static final ObjectWriter COMPACT = SpecJson.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

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

    /**
     * Writes the spec as one compact JSON value into {@code generator} (e.g. inside an object of the caller's):
     * the same fields and values as {@link #toJson}, without first building a tree.
     */
    public static void writeCompact(Spec spec, JsonGenerator generator) throws IOException {
        COMPACT.writeValue(generator, spec);
    }

    /**
     * Whether every string of the spec as config.json writes it, field names and map keys included, satisfies
     * {@code test}; stops at the first that does not. The same strings as {@link #toTree}'s text nodes and
     * field names, read from Jackson's token buffer without building the tree (validation reads every string of
     * every config, about a thousand with the default seccomp profile).
     */
    public static boolean allStrings(Spec spec, Predicate<String> test) {
        try (TokenBuffer tokens = new TokenBuffer(SpecJson.MAPPER, false)) {
            SpecJson.MAPPER.writeValue(tokens, spec);
            try (JsonParser parser = tokens.asParser()) {
                for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                    if ((token == JsonToken.VALUE_STRING || token == JsonToken.FIELD_NAME) && !test.test(parser.getText())) {
                        return false;
                    }
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize spec", e); // records always serialize; a token buffer does no I/O
        }
    }

    public static void write(Spec spec, Writer out) throws IOException {
        out.write(toJson(spec));
        out.flush();
    }
}
