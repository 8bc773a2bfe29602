package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Mount;
import dev.bulwark.launcher.LaunchException;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code --mount}/{@code --volume SRC:DST[:ro|rw]} and {@code --tmpfs DST[:OPTIONS]} as mounts of the
 * built-in default, each checked before anything is made so that a bad one is one line naming the flag.
 */
public final class MountArguments {
    /** Default mounts a flag may replace (same destination); the others are the container's own. */
    private static final Set<String> REPLACEABLE = Set.of("/tmp", "/dev/shm");
    private static final Set<String> RESERVED = Set.of("/", "/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup");
    public static final String DEFAULT_TMPFS_SIZE = "64m";

    /** A mount and the flag that asked for it. */
    public record Flagged(String flag, Mount mount) {
    }

    private MountArguments() {
    }

    /**
     * {@code --mount}: {@code SRC:DST[:ro|rw]}, or podman's key=value form {@code type=bind,source=SRC,destination=DST[,ro|rw]}
     * and {@code type=tmpfs,destination=DST[,tmpfs-size=N][,tmpfs-mode=M][,ro]} (src, dst and target are accepted aliases).
     */
    public static Mount mountFlag(String argument) {
        if (!argument.startsWith("type=")) {
            return bind("--mount", argument);
        }
        java.util.Map<String, String> keys = new java.util.LinkedHashMap<>();
        for (String item : argument.split(",", -1)) {
            int eq = item.indexOf('=');
            String key = eq < 0 ? item : item.substring(0, eq);
            String value = eq < 0 ? "true" : item.substring(eq + 1);
            key = switch (key) {
                case "src" -> "source";
                case "dst", "target" -> "destination";
                case "readonly" -> "ro";
                default -> key;
            };
            if (!Set.of("type", "source", "destination", "ro", "rw", "tmpfs-size", "tmpfs-mode").contains(key)
                    || keys.put(key, value) != null) {
                throw new LaunchException("--mount: \"" + item + "\" is not supported or given twice (type=bind|tmpfs, "
                        + "source, destination, ro, rw, tmpfs-size, tmpfs-mode)");
            }
        }
        boolean readOnly = switch (keys.getOrDefault("ro", "false")) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new LaunchException("--mount: ro=" + keys.get("ro") + " is not true or false");
        };
        String destination = keys.get("destination");
        if (destination == null) {
            throw new LaunchException("--mount: destination= is missing in \"" + argument + "\"");
        }
        switch (keys.get("type")) {
            case "bind" -> {
                if (keys.containsKey("tmpfs-size") || keys.containsKey("tmpfs-mode") || !keys.containsKey("source")) {
                    throw new LaunchException("--mount: type=bind takes source= and destination= (and ro or rw)");
                }
                return bind("--mount", keys.get("source") + ":" + destination + (readOnly ? ":ro" : ":rw"));
            }
            case "tmpfs" -> {
                if (keys.containsKey("source")) {
                    throw new LaunchException("--mount: type=tmpfs takes no source=");
                }
                List<String> options = new ArrayList<>();
                if (keys.containsKey("tmpfs-size")) {
                    options.add("size=" + keys.get("tmpfs-size"));
                }
                if (keys.containsKey("tmpfs-mode")) {
                    options.add("mode=" + keys.get("tmpfs-mode"));
                }
                if (readOnly) {
                    options.add("ro");
                }
                return tmpfs(destination + (options.isEmpty() ? "" : ":" + String.join(",", options)), "--mount");
            }
            default -> throw new LaunchException("--mount: type=" + keys.get("type") + " is not supported (bind or tmpfs)");
        }
    }

    /**
     * A host path bound at DST; the source must exist. {@code --mount SRC:DST} is read-only unless :rw (Bulwark's
     * own form); {@code -v/--volume SRC:DST} is writable unless :ro, as podman's -v.
     */
    public static Mount bind(String flag, String argument) {
        requireNoNul(flag, argument);
        String[] parts = argument.split(":", -1);
        String mode = parts.length == 3 ? parts[2] : flag.equals("--volume") ? "rw" : "ro";
        if (parts.length < 2 || parts.length > 3 || !Set.of("ro", "rw").contains(mode)) {
            throw new LaunchException(flag + ": expected SRC:DST[:ro|rw], got \"" + argument + "\"");
        }
        if (!parts[0].startsWith("/")) {
            throw new LaunchException(flag + ": source \"" + parts[0] + "\" must be an absolute host path (named volumes are not supported)");
        }
        String destination = destination(flag, parts[1]);
        Path source = Path.of(parts[0]);
        if (!Files.exists(source)) {
            throw new LaunchException(flag + ": source " + parts[0] + " does not exist"
                    + (Files.exists(source, LinkOption.NOFOLLOW_LINKS) ? " (a dangling symbolic link)" : ""));
        }
        return new Mount(destination, "bind", parts[0], List.of("rbind", "nosuid", "nodev", mode));
    }

    /** A fresh tmpfs at DST: nosuid, nodev, noexec unless exec, 64 MiB unless size=, mode 1777 unless mode=. */
    public static Mount tmpfs(String argument) {
        return tmpfs(argument, "--tmpfs");
    }

    private static Mount tmpfs(String argument, String flag) {
        int colon = argument.indexOf(':');
        String destination = destination(flag, colon < 0 ? argument : argument.substring(0, colon));
        List<String> options = new ArrayList<>(List.of("nosuid", "nodev"));
        String size = DEFAULT_TMPFS_SIZE;
        String mode = "1777";
        String exec = "noexec";
        String access = "rw";
        if (colon >= 0) {
            for (String option : argument.substring(colon + 1).split(",", -1)) {
                if (option.startsWith("size=")) {
                    size = tmpfsSize(option.substring(5), flag);
                } else if (option.startsWith("mode=")) {
                    mode = option.substring(5);
                    if (!mode.matches("[0-7]{1,4}")) {
                        throw new LaunchException(flag + ": mode \"" + mode + "\" is not an octal mode such as 1777 or 755");
                    }
                } else if (option.equals("exec") || option.equals("noexec")) {
                    exec = option;
                } else if (option.equals("ro") || option.equals("rw")) {
                    access = option;
                } else if (!option.equals("nosuid") && !option.equals("nodev")) {
                    throw new LaunchException(flag + ": option \"" + option + "\" is not supported "
                            + "(size=N[k|m|g], mode=OCTAL, ro, rw, exec, noexec)");
                }
            }
        }
        options.addAll(List.of(exec, access, "mode=" + mode, "size=" + size));
        return new Mount(destination, "tmpfs", "tmpfs", options);
    }

    /** A tmpfs size: bytes or a k/m/g multiple, or a percentage of RAM as tmpfs(5) allows; never zero (unlimited). */
    private static String tmpfsSize(String text, String flag) {
        String size = text.toLowerCase(Locale.ROOT);
        if (!size.matches("[1-9][0-9]{0,15}[kmg]?|[1-9][0-9]?%|100%")) {
            throw new LaunchException(flag + ": size \"" + text + "\" is not a size such as 64m, 1g or 10% (and not 0)");
        }
        return size;
    }

    private static void requireNoNul(String flag, String argument) {
        if (argument.indexOf('\0') >= 0) {
            throw new LaunchException(flag + ": must not contain NUL");
        }
    }

    private static String destination(String flag, String destination) {
        requireNoNul(flag, destination);
        if (!destination.startsWith("/")) {
            throw new LaunchException(flag + ": destination \"" + destination + "\" must be an absolute container path");
        }
        String normal = Path.of(destination).normalize().toString();
        if (RESERVED.contains(normal) || normal.startsWith("/proc/") || normal.startsWith("/sys/")) {
            throw new LaunchException(flag + ": " + normal + " is the container's own; choose another destination");
        }
        return normal;
    }

    /** The default mounts with these added: one at a replaceable default's destination takes its place. */
    public static List<Mount> addTo(List<Mount> defaults, List<Flagged> added) {
        List<Mount> mounts = new ArrayList<>(defaults);
        for (Flagged flagged : added) {
            Mount mount = flagged.mount();
            if (REPLACEABLE.contains(mount.destination())) {
                mounts.removeIf(existing -> existing.destination().equals(mount.destination()));
            }
            if (mounts.stream().anyMatch(existing -> existing.destination().equals(mount.destination()))) {
                throw new LaunchException(flagged.flag() + ": " + mount.destination() + " is already a mount destination");
            }
            mounts.add(mount);
        }
        return mounts;
    }
}
