package dev.bulwark.config.model;

import java.util.List;

/** Execution domain ({@code linux.personality}): domain LINUX or LINUX32. */
public record LinuxPersonality(String domain, List<String> flags) {
    public LinuxPersonality {
        flags = Copies.list(flags);
    }
}
