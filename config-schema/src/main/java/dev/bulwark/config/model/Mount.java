package dev.bulwark.config.model;

import java.util.List;

/** A mount ({@code mounts[]}); {@code options} are mount(8)-style, e.g. {@code nosuid}, {@code ro}. */
public record Mount(
        String destination,
        String type,
        String source,
        List<String> options,
        List<LinuxIdMapping> uidMappings,
        List<LinuxIdMapping> gidMappings) {

    public Mount {
        options = Copies.list(options);
        uidMappings = Copies.list(uidMappings);
        gidMappings = Copies.list(gidMappings);
    }

    public Mount(String destination, String type, String source, List<String> options) {
        this(destination, type, source, options, List.of(), List.of());
    }
}
