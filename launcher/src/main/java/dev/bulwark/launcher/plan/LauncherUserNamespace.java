package dev.bulwark.launcher.plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the launcher runs in the host's user namespace. Rootless Podman runs its runtime as uid 0 of a
 * user namespace of its own: that root may set up namespaces and mounts, but it owns neither host root's
 * files (/run/bulwark) nor the sysctls that only the global root uid can write.
 */
public final class LauncherUserNamespace {
    private LauncherUserNamespace() {
    }

    /** True unless /proc/self/uid_map differs from the initial namespace's identity map over every id. */
    public static boolean isInitial() {
        try {
            String[] map = Files.readString(Path.of("/proc/self/uid_map")).trim().split("\\s+");
            return map.length == 3 && map[0].equals("0") && map[1].equals("0") && map[2].equals("4294967295");
        } catch (IOException e) {
            return true; // no /proc: judged by the uid alone, as before
        }
    }
}
