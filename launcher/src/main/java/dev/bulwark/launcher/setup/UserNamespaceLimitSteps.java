package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The container user namespace's own per-user limits ({@code /proc/sys/user/max_*}). The kernel
 * charges what a user of the container's namespace creates (inotify instances, namespaces, ...) to
 * that user and, up the chain, to the namespace's owner: the launching user. Lower limits in the
 * container's namespace bound its share, so it cannot take what the host's user has.
 *
 * <p>Annotation {@value HardenedDefaults#USERNS_LIMITS_ANNOTATION}: absent, Bulwark's defaults
 * ({@link HardenedDefaults#USERNS_LIMITS}); {@code off}, none; otherwise {@code name=value,...} that
 * replaces the named defaults and keeps the others. A limit counts per user of the container, so a
 * container that can change uid gets it once per uid it uses (all still within the owner's limit).
 *
 * <p>The child writes them as root of its new user namespace (the kernel lets a holder of
 * CAP_SYS_RESOURCE there write them, and shows every process the files of its own namespace), after
 * it has created its cgroup namespace and before it leaves the host's /proc behind.
 */
final class UserNamespaceLimitSteps {
    static final String FIELD = "annotations[\"" + HardenedDefaults.USERNS_LIMITS_ANNOTATION + "\"]";
    private static final Path HOST_LIMITS = Path.of("/proc/sys/user");
    private static final long KERNEL_MAX = Integer.MAX_VALUE;

    private UserNamespaceLimitSteps() {
    }

    /** The limits {@code spec} asks for, in write order; defaults the kernel has no file for are left out. */
    static Map<String, Long> forSpec(Spec spec) {
        String value = spec.annotations().get(HardenedDefaults.USERNS_LIMITS_ANNOTATION);
        if (value != null && value.strip().equals("off")) {
            return Map.of();
        }
        Set<String> present = hostLimitFiles(); // one directory listing, not a stat per limit (twice when annotated)
        Map<String, Long> limits = new LinkedHashMap<>();
        HardenedDefaults.USERNS_LIMITS.forEach((name, limit) -> {
            if (present.contains(name)) {
                limits.put(name, limit);
            }
        });
        if (value == null) {
            return limits;
        }
        limits.putAll(parse(value, present));
        return limits;
    }

    /** The names of the files in /proc/sys/user (none if it cannot be listed: then no limit file exists for us either). */
    private static Set<String> hostLimitFiles() {
        Set<String> names = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(HOST_LIMITS)) {
            files.forEach(file -> names.add(file.getFileName().toString()));
        } catch (IOException e) {
            return Set.of();
        }
        return names;
    }

    static Map<String, Long> parse(String value) {
        return parse(value, hostLimitFiles());
    }

    /** "max_inotify_instances=64, max_user_namespaces=0": names from /proc/sys/user, values 0 to 2147483647. */
    static Map<String, Long> parse(String value, Set<String> present) {
        Map<String, Long> limits = new LinkedHashMap<>();
        for (String item : value.split(",")) {
            String entry = item.strip();
            int equals = entry.indexOf('=');
            if (equals < 0) {
                throw new LaunchException(FIELD + ": expected NAME=VALUE, got \"" + entry + "\" (or \"off\")");
            }
            String name = entry.substring(0, equals).strip();
            if (!HardenedDefaults.USERNS_LIMITS.containsKey(name)) {
                throw new LaunchException(FIELD + ": unknown limit \"" + name + "\"; known: "
                        + String.join(", ", HardenedDefaults.USERNS_LIMITS.keySet()));
            }
            if (!present.contains(name)) {
                throw new LaunchException(FIELD + ": this kernel has no " + HOST_LIMITS.resolve(name));
            }
            String number = entry.substring(equals + 1).strip();
            try {
                long limit = Long.parseLong(number);
                if (limit < 0 || limit > KERNEL_MAX) {
                    throw new NumberFormatException();
                }
                limits.put(name, limit);
            } catch (NumberFormatException e) {
                throw new LaunchException(FIELD + ": " + name + " must be a whole number from 0 to " + KERNEL_MAX
                        + ", got \"" + number + "\"");
            }
        }
        return limits;
    }

    /** One write per limit, to the calling process's own namespace's file under /proc/sys/user. */
    static void write(ChildSteps steps, Map<String, Long> limits) {
        limits.forEach((name, limit) -> steps.writeExisting(
                "set user namespace limit " + name + "=" + limit + " (" + FIELD + ")",
                "the container's own share of a per-user kernel limit; its use also counts against the launching user's",
                HOST_LIMITS.resolve(name).toString(), Long.toString(limit)));
    }
}
