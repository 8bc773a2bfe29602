package dev.bulwark.launcher.explain;

import java.util.List;

/**
 * One {@code bulwark explain} topic.
 *
 * @param names   its name first, then the aliases it answers to (config field paths, other spellings)
 * @param title   one line
 * @param what    what the mechanism is
 * @param threat  which threat it blocks, named, with the CVE or technique where one exists
 * @param bulwark how Bulwark sets it
 */
public record Topic(List<String> names, String title, String what, String threat, String bulwark) {
    public Topic {
        names = List.copyOf(names);
    }

    public String name() {
        return names.get(0);
    }
}
