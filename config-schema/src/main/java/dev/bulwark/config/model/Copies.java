package dev.bulwark.config.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Null-to-empty defensive copies used by the record constructors. */
final class Copies {
    private Copies() {}

    static <T> List<T> list(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    /** Unlike {@link Map#copyOf}, keeps insertion order so documents round-trip unchanged. */
    static <K, V> Map<K, V> map(Map<K, V> map) {
        if (map == null || map.isEmpty()) {
            return Map.of();
        }
        map.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new NullPointerException("null key or value in map");
            }
        });
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
