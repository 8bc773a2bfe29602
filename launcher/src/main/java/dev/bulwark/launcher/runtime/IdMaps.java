package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The user namespace's id maps. Container root never maps to host root unless the config asks
 * for it and the caller confirms with --allow-host-root. Rootless, the only mapping the kernel
 * allows without a helper is the caller's own uid/gid, and setgroups must be denied first.
 *
 * @param uid               uid mappings to write
 * @param gid               gid mappings to write
 * @param setgroupsAllowed  whether /proc/PID/setgroups stays "allow" (root only)
 */
public record IdMaps(List<LinuxIdMapping> uid, List<LinuxIdMapping> gid, boolean setgroupsAllowed) {

    /** No user namespace (root only): container ids are host ids; the child drops the host's groups itself. */
    public static IdMaps hostIds() {
        return new IdMaps(List.of(), List.of(), true);
    }

    /**
     * A joined user namespace ({@code linux.namespaces[].path}) already has its maps: the launcher writes
     * none, so maps in the config would be dropped and are refused instead (runc ignores them). Root
     * drops the host's groups with setgroups (it fails in one line if the namespace denies it); rootless
     * cannot. Which container ids are mapped is the namespace's business, so nothing is checked here.
     */
    public static IdMaps joined(dev.bulwark.config.model.Linux linux, boolean rootless) {
        if (!linux.uidMappings().isEmpty() || !linux.gidMappings().isEmpty()) {
            String field = !linux.uidMappings().isEmpty() ? "linux.uidMappings" : "linux.gidMappings";
            throw new LaunchException(field + ": a joined user namespace (linux.namespaces[].path) keeps its own maps;"
                    + " remove the mappings or the path");
        }
        return new IdMaps(List.of(), List.of(), !rootless);
    }

    /** Whether the container has its own user namespace, whose maps these are. */
    public boolean userNamespace() {
        return !uid.isEmpty();
    }

    /** Chooses the maps for this launch, validating the config's against what the caller may do. */
    public static IdMaps choose(List<LinuxIdMapping> configUid, List<LinuxIdMapping> configGid, boolean rootless,
                                int hostUid, int hostGid, LinuxIdMapping defaultRange, boolean allowHostRoot) {
        if (rootless) {
            LinuxIdMapping ownUid = new LinuxIdMapping(0, hostUid, 1);
            LinuxIdMapping ownGid = new LinuxIdMapping(0, hostGid, 1);
            requireOwn(configUid, ownUid, "linux.uidMappings", "uid " + hostUid);
            requireOwn(configGid, ownGid, "linux.gidMappings", "gid " + hostGid);
            return new IdMaps(List.of(ownUid), List.of(ownGid), false);
        }
        List<LinuxIdMapping> uid = configUid.isEmpty() ? List.of(defaultRange) : configUid;
        List<LinuxIdMapping> gid = configGid.isEmpty() ? List.of(defaultRange) : configGid;
        refuseHostRoot(uid, "linux.uidMappings", allowHostRoot);
        refuseHostRoot(gid, "linux.gidMappings", allowHostRoot);
        requireContainerRoot(uid, "linux.uidMappings");
        requireContainerRoot(gid, "linux.gidMappings");
        return new IdMaps(uid, gid, true);
    }

    private static void requireOwn(List<LinuxIdMapping> config, LinuxIdMapping own, String field, String what) {
        if (!config.isEmpty() && !(config.size() == 1 && config.get(0).equals(own))) {
            throw new LaunchException(field + ": rootless, the only possible mapping is container 0 to your own "
                    + what + " (size 1)");
        }
    }

    private static void refuseHostRoot(List<LinuxIdMapping> mappings, String field, boolean allowHostRoot) {
        for (int i = 0; i < mappings.size(); i++) {
            LinuxIdMapping m = mappings.get(i);
            if (m.hostId() == 0 && !allowHostRoot) {
                throw new LaunchException(field + "[" + i + "]: maps container id " + m.containerId()
                        + " to host root; pass --allow-host-root to confirm");
            }
        }
    }

    private static void requireContainerRoot(List<LinuxIdMapping> mappings, String field) {
        if (!mappingsCover(mappings, 0)) {
            throw new LaunchException(field + ": must map container id 0 (Bulwark prepares the container as its root)");
        }
    }

    private static boolean mappingsCover(List<LinuxIdMapping> mappings, long id) {
        return mappings.stream().anyMatch(m -> id >= m.containerId() && id < m.containerId() + m.size());
    }

    /** Whether container {@code uid} is mapped (the workload's uid must be). */
    public boolean mapsUid(long containerUid) {
        return !userNamespace() || mappingsCover(uid, containerUid);
    }

    public boolean mapsGid(long containerGid) {
        return !userNamespace() || mappingsCover(gid, containerGid);
    }

    public static String format(List<LinuxIdMapping> mappings) {
        return mappings.stream().map(m -> m.containerId() + " " + m.hostId() + " " + m.size())
                .collect(Collectors.joining("\n")) + "\n";
    }

    /** Writes the maps of {@code pid}: setgroups first (rootless: deny), then gid_map, then uid_map. */
    public void writeTo(int pid) {
        writeTo(Path.of("/proc", Integer.toString(pid)));
    }

    /** The same writes into {@code proc}, a process's /proc directory (a plain directory in unit tests). */
    void writeTo(Path proc) {
        if (!userNamespace()) {
            return;
        }
        if (!setgroupsAllowed) {
            write(proc.resolve("setgroups"), "deny");
        }
        write(proc.resolve("gid_map"), format(gid));
        write(proc.resolve("uid_map"), format(uid));
    }

    private static void write(Path file, String content) {
        try {
            Files.write(file, content.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new LaunchException("write " + file + " (" + content.strip().replace('\n', ';') + "): " + e.getMessage(), e);
        }
    }
}
