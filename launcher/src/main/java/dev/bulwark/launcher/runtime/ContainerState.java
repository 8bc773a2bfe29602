package dev.bulwark.launcher.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/**
 * What {@code state.json} records, shaped like the OCI runtime state (ociVersion, id, status, pid,
 * bundle, annotations) plus what inspecting a Bulwark container from outside needs.
 *
 * @param status       "creating", "running" or "stopped" (OCI's state names)
 * @param pid          the container's init process on the host (0 before it exists)
 * @param launcherPid  the bulwark process holding the container
 * @param namespaces   namespace type to the inode link of /proc/PID/ns/TYPE, e.g. "pid:[4026532290]"
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContainerState(String ociVersion, String id, String status, int pid, int launcherPid, String bundle,
                             String rootfs, boolean rootless, String created, String uidMap, String gidMap,
                             String cgroup, Map<String, String> namespaces, Map<String, String> annotations) {
    public ContainerState withStatus(String newStatus, int newPid, Map<String, String> newNamespaces) {
        return new ContainerState(ociVersion, id, newStatus, newPid, launcherPid, bundle, rootfs, rootless, created,
                uidMap, gidMap, cgroup, newNamespaces, annotations);
    }

    /** Whether the launcher that holds this container still runs (if not, the kernel ended the container). */
    public boolean launcherAlive() {
        return launcherPid > 0 && ProcessHandle.of(launcherPid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * Pretty JSON, null fields left out, written by hand: loading and configuring Jackson for two small
     * writes would be the largest cost of a launch. Reading state.json (state, list, stats) uses Jackson.
     */
    public String toJson() {
        JsonText json = new JsonText();
        json.field("ociVersion", ociVersion).field("id", id).field("status", status).field("pid", pid)
                .field("launcherPid", launcherPid).field("bundle", bundle).field("rootfs", rootfs)
                .field("rootless", rootless).field("created", created).field("uidMap", uidMap).field("gidMap", gidMap)
                .field("cgroup", cgroup).field("namespaces", namespaces).field("annotations", annotations);
        return json.close();
    }
}
