package dev.bulwark.launcher.plan;

import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resolves a path inside a container's root the way the container will see it: an absolute link
 * target is resolved from the container's root (as the container would), and a ".." that climbs
 * above the root, directly or through a relative link, is refused, naming the link. The launcher uses
 * it for an early, clear refusal of an image whose symlinks leave the root; what keeps mounts inside
 * the root is the child resolving them again through file descriptors (openat2 RESOLVE_IN_ROOT).
 */
public final class RootPath {
    private static final int MAX_LINKS = 40; // the kernel's MAXSYMLINKS

    private RootPath() {
    }

    /**
     * @param root   the root as seen from the host, already canonical
     * @param inside an absolute path inside the container
     * @param field  the config field for error messages
     * @return the host path the container path refers to; components that do not exist yet are kept as written
     */
    public static Path resolve(Path root, String inside, String field) {
        Deque<String> pending = new ArrayDeque<>();
        push(pending, inside);
        Path current = root;
        int links = 0;
        while (!pending.isEmpty()) {
            String part = pending.pop();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (current.equals(root)) {
                    throw new LaunchException(field + ": \"" + inside + "\" leaves the root through \"..\"");
                }
                current = current.getParent();
                continue;
            }
            Path next = HostPaths.resolve(current, part, field);
            if (Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS) {
                    throw new LaunchException(field + ": \"" + inside + "\" has too many levels of symbolic links");
                }
                String target = readLink(next, field);
                if (target.startsWith("/")) {
                    current = root;
                } else if (escapes(root, current, target)) {
                    throw new LaunchException(field + ": \"" + inside + "\" escapes the root through symlink "
                            + "/" + root.relativize(next) + " -> " + target);
                }
                push(pending, target);
            } else {
                current = next;
            }
        }
        return current;
    }

    /** Whether following {@code target} from directory {@code from} climbs above {@code root}. */
    private static boolean escapes(Path root, Path from, String target) {
        int depth = root.relativize(from).toString().isEmpty() ? 0 : root.relativize(from).getNameCount();
        for (String part : target.split("/")) {
            if (part.equals("..")) {
                depth--;
                if (depth < 0) {
                    return true;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
        }
        return false;
    }

    private static void push(Deque<String> pending, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            pending.push(parts[i]);
        }
    }

    private static String readLink(Path link, String field) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            throw new LaunchException(field + ": cannot read symlink " + link + ": " + e.getMessage(), e);
        }
    }
}
