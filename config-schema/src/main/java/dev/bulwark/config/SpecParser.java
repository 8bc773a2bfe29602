package dev.bulwark.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.bulwark.config.model.Spec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a config.json into a {@link Spec}. Parsing checks JSON syntax and types only; call
 * {@link dev.bulwark.config.validation.SpecValidator} for the semantic rules.
 */
public final class SpecParser {
    private SpecParser() {}

    /** Reads the file; the file name prefixes error messages. */
    public static Spec parse(Path file) throws SpecParseException, IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        }
    }

    public static Spec parse(String json) throws SpecParseException {
        try {
            return read(() -> SpecJson.MAPPER.readValue(json, Spec.class), "config.json");
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen for an in-memory string
        }
    }

    /** Reads the stream (does not close it); {@code sourceName} prefixes error messages. */
    public static Spec parse(InputStream in, String sourceName) throws SpecParseException, IOException {
        return read(() -> SpecJson.MAPPER.readValue(in, Spec.class), sourceName);
    }

    private interface Reader {
        Spec read() throws IOException;
    }

    private static Spec read(Reader reader, String sourceName) throws SpecParseException, IOException {
        Spec spec;
        try {
            spec = reader.read();
        } catch (JsonProcessingException e) {
            throw toParseException(e, sourceName);
        }
        if (spec == null) {
            throw new SpecParseException(sourceName + ": document is JSON null, expected an object", 1, 1, null);
        }
        return spec;
    }

    private static SpecParseException toParseException(JsonProcessingException e, String sourceName) {
        JsonLocation loc = e.getLocation();
        int line = loc == null ? -1 : loc.getLineNr();
        int column = loc == null ? -1 : loc.getColumnNr();
        StringBuilder msg = new StringBuilder(sourceName);
        if (line > 0) {
            msg.append(':').append(line).append(':').append(column);
        }
        msg.append(": ");
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            msg.append(jsonPath(mapping.getPath())).append(": ");
        }
        msg.append(describe(e));
        return new SpecParseException(msg.toString(), line, column, e);
    }

    /** Jackson's reason in the config's terms: JSON kinds ("expected an array, got a string"), never Java types. */
    static String describe(JsonProcessingException e) {
        if (e instanceof ValueInstantiationException && e.getCause() != null && e.getCause().getMessage() != null) {
            return firstLine(e.getCause().getMessage()); // a model record refused the value
        }
        String original = firstLine(e.getOriginalMessage());
        if (original.startsWith("Missing required creator property")) {
            return "required"; // the path names the property
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            String found = mismatch.getProcessor() instanceof JsonParser parser ? found(parser.currentToken()) : "";
            return "expected " + kind(mismatch.getTargetType()) + found;
        }
        return withoutJavaTypes(original);
    }

    private static String found(JsonToken token) {
        if (token == null) {
            return "";
        }
        return ", got " + switch (token) {
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a number with a fraction";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_ARRAY, END_ARRAY -> "an array";
            case START_OBJECT, END_OBJECT, FIELD_NAME -> "an object";
            default -> "something else";
        };
    }

    /** What JSON a Java target type reads from. */
    private static String kind(Class<?> type) {
        if (CharSequence.class.isAssignableFrom(type) || type == char.class || type == Character.class) {
            return "a string";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == double.class || type == float.class || type == Double.class || type == Float.class
                || type == java.math.BigDecimal.class) {
            return "a number";
        }
        if (type.isPrimitive() || Number.class.isAssignableFrom(type)) {
            return "an integer";
        }
        if (type.isArray() || java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }

    private static final java.util.regex.Pattern QUOTED_TYPE = java.util.regex.Pattern.compile("`[\\w.$<>, \\[\\]]+`");

    /** Last resort for messages not classified above: the quoted Java type becomes "a value". */
    private static String withoutJavaTypes(String message) {
        String withoutLimitSource = message.replaceAll(", from `[^`]*`", ""); // "(1000, from `StreamReadConstraints...`)"
        return QUOTED_TYPE.matcher(withoutLimitSource).replaceAll("a value");
    }

    /** Renders Jackson's reference chain as {@code linux.namespaces[1].type}. */
    static String jsonPath(List<JsonMappingException.Reference> path) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : path) {
            if (ref.getFieldName() != null) {
                if (out.length() > 0) {
                    out.append('.');
                }
                out.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "invalid document";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }
}
