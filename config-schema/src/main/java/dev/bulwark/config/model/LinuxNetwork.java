package dev.bulwark.config.model;

import java.util.List;

/** net_cls/net_prio controls (cgroup v1 only). */
public record LinuxNetwork(Long classID, List<LinuxInterfacePriority> priorities) {
    public LinuxNetwork {
        priorities = Copies.list(priorities);
    }
}
