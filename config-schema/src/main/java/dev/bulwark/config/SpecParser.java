package dev.bulwark.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
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
        msg.append(firstLine(e.getOriginalMessage()));
        return new SpecParseException(msg.toString(), line, column, e);
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
