package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code cgroup} mount in a config without a cgroup namespace (what {@code runc spec} writes): a new
 * cgroup2 mount there would show the host's whole hierarchy (and fails with EPERM in a user namespace).
 * runc binds the container's own cgroup directory read-only instead, and so does Bulwark, from the
 * cgroup v2 hierarchy only; v1 hierarchies are never mounted.
 */
public final class OwnCgroupMount {
    private static final List<String> OPTIONS = List.of("rbind", "ro", "nosuid", "noexec", "nodev");

    private OwnCgroupMount() {
    }

    /** Whether the config has a cgroup mount that needs {@link #bind}: a cgroup mount and no new cgroup namespace. */
    public static boolean needed(Spec spec) {
        boolean ownNamespace = spec.linux().namespaces().stream()
                .anyMatch(ns -> ns.type().equals("cgroup") && ns.path() == null);
        return !ownNamespace && spec.mounts().stream().anyMatch(OwnCgroupMount::isCgroup);
    }

    /** The config with every cgroup mount replaced by a read-only bind of {@code ownCgroup}, a cgroup v2 directory. */
    public static Spec bind(Spec spec, Path ownCgroup) {
        List<Mount> mounts = new ArrayList<>();
        for (Mount mount : spec.mounts()) {
            mounts.add(isCgroup(mount) ? new Mount(mount.destination(), "bind", ownCgroup.toString(), OPTIONS) : mount);
        }
        return spec.withMounts(mounts);
    }

    private static boolean isCgroup(Mount mount) {
        return "cgroup".equals(mount.type()) || "cgroup2".equals(mount.type());
    }
}
