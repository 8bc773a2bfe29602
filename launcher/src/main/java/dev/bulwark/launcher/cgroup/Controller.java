package dev.bulwark.launcher.cgroup;

import java.util.Optional;

/** The cgroup v2 controllers Bulwark writes limits for, by their name in {@code cgroup.controllers}. */
public enum Controller {
    CPU("cpu"),
    CPUSET("cpuset"),
    IO("io"),
    MEMORY("memory"),
    PIDS("pids"),
    HUGETLB("hugetlb"),
    RDMA("rdma"),
    MISC("misc");

    private final String kernelName;

    Controller(String kernelName) {
        this.kernelName = kernelName;
    }

    /** The name the kernel uses in cgroup.controllers, cgroup.subtree_control and file prefixes. */
    public String kernelName() {
        return kernelName;
    }

    /** The controller owning an interface file such as {@code memory.max}; empty for core {@code cgroup.*} files. */
    public static Optional<Controller> owningFile(String fileName) {
        int dot = fileName.indexOf('.');
        String prefix = dot < 0 ? fileName : fileName.substring(0, dot);
        for (Controller c : values()) {
            if (c.kernelName.equals(prefix)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return kernelName;
    }
}
