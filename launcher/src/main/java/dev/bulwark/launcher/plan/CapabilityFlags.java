package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.validation.KnownNames;
import dev.bulwark.launcher.LaunchException;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --cap-add} and {@code --cap-drop} on the built-in default, whose own set is empty. As podman: names
 * are case-insensitive, {@code CAP_} is optional, a flag may list several separated by commas; the added
 * capabilities form the bounding set, and the effective and permitted sets for container root (uid 0);
 * for another uid the inheritable and ambient sets too, so that the process really holds them after its
 * uid change. A capability both added and dropped is refused, as podman does. {@code --cap-add ALL} is
 * refused: the default exists to hold none, and every capability a command needs can be named.
 */
public final class CapabilityFlags {
    private CapabilityFlags() {
    }

    public static LinuxCapabilities apply(List<String> add, List<String> drop, long uid) {
        Set<String> added = names("--cap-add", add);
        Set<String> dropped = names("--cap-drop", drop);
        if (added.contains("ALL")) {
            throw new LaunchException("--cap-add: ALL is refused for the built-in default; name each capability the command needs");
        }
        for (String name : added) {
            if (dropped.contains(name)) {
                throw new LaunchException("--cap-drop: " + name + " is also given to --cap-add");
            }
        }
        List<String> caps = List.copyOf(added);
        List<String> forOtherUid = uid == 0 ? List.of() : caps;
        return new LinuxCapabilities(caps, caps, forOtherUid, caps, forOtherUid);
    }

    /** Normalised names (CAP_NET_RAW), or ALL; an unknown name is one line naming the flag. */
    private static Set<String> names(String flag, List<String> values) {
        Set<String> names = new TreeSet<>();
        for (String value : values) {
            for (String item : value.split(",", -1)) {
                String name = item.strip().toUpperCase(Locale.ROOT);
                if (name.equals("ALL")) {
                    names.add(name);
                    continue;
                }
                if (!name.startsWith("CAP_")) {
                    name = "CAP_" + name;
                }
                if (!KnownNames.CAPABILITIES.contains(name)) {
                    throw new LaunchException(flag + ": unknown capability \"" + item.strip() + "\" (see capabilities(7); e.g. NET_BIND_SERVICE)");
                }
                names.add(name);
            }
        }
        return names;
    }
}
