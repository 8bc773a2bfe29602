package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Capability sets ({@code process.capabilities}); names like {@code CAP_NET_RAW}. Absent sets are
 * empty. Always serialized in full, so an intentionally empty set is visible in the output.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record LinuxCapabilities(
        List<String> bounding,
        List<String> effective,
        List<String> inheritable,
        List<String> permitted,
        List<String> ambient) {

    public LinuxCapabilities {
        bounding = Copies.list(bounding);
        effective = Copies.list(effective);
        inheritable = Copies.list(inheritable);
        permitted = Copies.list(permitted);
        ambient = Copies.list(ambient);
    }

    /** All five sets empty: the process holds no capability at all. */
    public static LinuxCapabilities none() {
        return new LinuxCapabilities(List.of(), List.of(), List.of(), List.of(), List.of());
    }
}
