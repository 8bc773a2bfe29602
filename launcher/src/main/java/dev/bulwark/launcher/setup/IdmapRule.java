package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * When the launcher idmaps a path for a container whose user namespace it maps (see {@link LauncherMounts}):
 * never when the path's host owner lies in the mapped range (an image already shifted for it: idmapping
 * would shift it twice); otherwise the rootfs when container root cannot reach it, or when the range is
 * Bulwark's own choice (the config wrote no uidMappings, so it cannot have prepared its image for them: the
 * hardened profile) and the root is read-only, and a bind source only when container root cannot reach it (a reachable one keeps
 * the plain bind, whose files owned outside the range appear as nobody's, as in any user namespace).
 *
 * <p>Reachability is a decision, not an access: the path is then used by the fd the launcher opened.
 */
record IdmapRule(List<LinuxIdMapping> uidMap, List<LinuxIdMapping> gidMap) {

    /**
     * A writable idmapped mount lets container root create files owned by host root, setuid ones too: so a
     * rootfs other host users can reach is idmapped only when it stays read-only.
     */
    boolean idmapRootfs(long hostOwner, boolean rangeChosenByBulwark, boolean reachable, boolean readOnly) {
        return !mappedHostUid(hostOwner) && (!reachable || rangeChosenByBulwark && readOnly);
    }

    boolean idmapBind(long hostOwner, boolean reachable) {
        return !mappedHostUid(hostOwner) && !reachable;
    }

    /** Whether host uid {@code hostUid} is inside a uid mapping (then it has an owner in the container). */
    boolean mappedHostUid(long hostUid) {
        return uidMap.stream().anyMatch(m -> hostUid >= m.hostId() && hostUid < m.hostId() + m.size());
    }

    /** The host uid of container uid {@code containerUid}; {@code field} names it if unmapped. */
    long hostUid(long containerUid, String field) {
        return toHost(uidMap, containerUid, field);
    }

    long hostGid(long containerGid, String field) {
        return toHost(gidMap, containerGid, field);
    }

    /**
     * Whether container root (host uid and gid of container 0) may search every directory from / down to
     * {@code path}'s parent, and {@code path} itself when it is a directory: owner, group or other bits
     * as the kernel applies them (supplementary groups are dropped in the container).
     */
    boolean reachableByContainerRoot(Path path) {
        long uid = toHost(uidMap, 0, "linux.uidMappings");
        long gid = toHost(gidMap, 0, "linux.gidMappings");
        Path start = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? path : path.getParent();
        for (Path p = start; p != null; p = p.getParent()) {
            try {
                // One lstat per directory (three getAttribute calls would make three)
                java.util.Map<String, Object> attributes = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) attributes.get("mode");
                int owner = (Integer) attributes.get("uid");
                int group = (Integer) attributes.get("gid");
                if (!searchable(mode, owner, group, uid, gid)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    static boolean searchable(int mode, long owner, long group, long uid, long gid) {
        if (owner == uid) {
            return (mode & 0100) != 0;
        }
        if (group == gid) {
            return (mode & 0010) != 0;
        }
        return (mode & 0001) != 0;
    }

    private static long toHost(List<LinuxIdMapping> mappings, long containerId, String field) {
        for (LinuxIdMapping m : mappings) {
            if (containerId >= m.containerId() && containerId < m.containerId() + m.size()) {
                return m.hostId() + (containerId - m.containerId());
            }
        }
        throw new LaunchException(field + ": container id " + containerId + " is not mapped by the user namespace");
    }
}
