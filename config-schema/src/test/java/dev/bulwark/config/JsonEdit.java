package dev.bulwark.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/** Edits a JSON document by JSON pointer, creating missing objects; for building test cases. */
public final class JsonEdit {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final ObjectNode root;

    private JsonEdit(ObjectNode root) {
        this.root = root;
    }

    public static JsonEdit of(String json) {
        try {
            return new JsonEdit((ObjectNode) MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets the value at {@code pointer} (e.g. {@code /linux/namespaces/1/type}) to parsed {@code json}. */
    public JsonEdit set(String pointer, String json) {
        JsonNode value;
        try {
            value = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        String[] parts = pointer.substring(1).split("/");
        JsonNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = child(node, parts[i]);
            if (next == null || next.isMissingNode() || next.isNull()) {
                next = ((ObjectNode) node).putObject(parts[i]);
            }
            node = next;
        }
        String last = parts[parts.length - 1];
        if (node instanceof ArrayNode array) {
            if (last.equals("-")) {
                array.add(value);
            } else {
                array.set(Integer.parseInt(last), value);
            }
        } else {
            ((ObjectNode) node).set(last, value);
        }
        return this;
    }

    public JsonEdit remove(String pointer) {
        int slash = pointer.lastIndexOf('/');
        JsonNode parent = root.at(pointer.substring(0, slash));
        String last = pointer.substring(slash + 1);
        if (parent instanceof ArrayNode array) {
            array.remove(Integer.parseInt(last));
        } else {
            ((ObjectNode) parent).remove(last);
        }
        return this;
    }

    private static JsonNode child(JsonNode node, String name) {
        return node.isArray() ? node.get(Integer.parseInt(name)) : node.get(name);
    }

    public String json() {
        return root.toPrettyString();
    }
}
