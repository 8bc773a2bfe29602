package dev.bulwark.launcher.runtime;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.util.Map;

/**
 * What {@code state.json} records, shaped like the OCI runtime state (ociVersion, id, status, pid,
 * bundle, annotations) plus what inspecting a Bulwark container from outside needs.
 *
 * @param status             "creating", "created", "running" or "stopped" (OCI's state names), or "paused" (runc's,
 *                           recorded by {@code pause} while its cgroup is frozen), as last recorded
 * @param pid                the container's init process on the host (0 before it exists)
 * @param pidStartTime       its start time (/proc/PID/stat field 22), so a reused pid is not taken for it
 * @param launcherPid        the bulwark process holding the container
 * @param launcherStartTime  the launcher's start time, likewise
 * @param namespaces         namespace type to the inode link of /proc/PID/ns/TYPE, e.g. "pid:[4026532290]"
 * @param detached           true for a container made by {@code create}: it outlives its launcher, and its
 *                           state stays (stopped) until {@code delete}; null (absent) for {@code run}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContainerState(String ociVersion, String id, String status, int pid, long pidStartTime, int launcherPid,
                             long launcherStartTime, String bundle, String rootfs, boolean rootless, String created,
                             String uidMap, String gidMap, String cgroup, Map<String, String> namespaces,
                             Map<String, String> annotations, Boolean detached) {
    /** Without the detached flag (a {@code run} container). */
    public ContainerState(String ociVersion, String id, String status, int pid, long pidStartTime, int launcherPid,
                          long launcherStartTime, String bundle, String rootfs, boolean rootless, String created,
                          String uidMap, String gidMap, String cgroup, Map<String, String> namespaces,
                          Map<String, String> annotations) {
        this(ociVersion, id, status, pid, pidStartTime, launcherPid, launcherStartTime, bundle, rootfs, rootless, created,
                uidMap, gidMap, cgroup, namespaces, annotations, null);
    }

    /** What a launcher records the moment it claims an id: enough for list and delete if it is killed next. */
    public static ContainerState claimed(String id, ProcessIdentity launcher, boolean rootless) {
        return new ContainerState(null, id, "creating", 0, 0, launcher.pid(), launcher.startTime(), null, null, rootless,
                Instant.now().toString(), null, null, null, null, null);
    }

    /** A directory without state.json: being claimed right now when {@code young}, abandoned otherwise. */
    static ContainerState withoutRecord(String id, boolean young) {
        return new ContainerState(null, id, young ? "creating" : "stopped", 0, 0, 0, 0, null, null, false, null, null,
                null, null, null, null);
    }

    /** Still creating, with the child recorded the moment it exists: {@code delete} can kill it if the launcher is killed. */
    public ContainerState cloned(ProcessIdentity init, Map<String, String> newNamespaces) {
        return new ContainerState(ociVersion, id, status, init.pid(), init.startTime(), launcherPid, launcherStartTime,
                bundle, rootfs, rootless, created, uidMap, gidMap, cgroup, newNamespaces, annotations, detached);
    }

    /** Marks a container made by {@code create}, which outlives its launcher. */
    public ContainerState detach() {
        return new ContainerState(ociVersion, id, status, pid, pidStartTime, launcherPid, launcherStartTime,
                bundle, rootfs, rootless, created, uidMap, gidMap, cgroup, namespaces, annotations, Boolean.TRUE);
    }

    /** The same container with another recorded status ("created" by create, "running" by start). */
    public ContainerState withStatus(String newStatus) {
        return new ContainerState(ociVersion, id, newStatus, pid, pidStartTime, launcherPid, launcherStartTime,
                bundle, rootfs, rootless, created, uidMap, gidMap, cgroup, namespaces, annotations, detached);
    }

    @JsonIgnore
    public boolean outlivesLauncher() {
        return Boolean.TRUE.equals(detached);
    }

    public ContainerState running(ProcessIdentity init, Map<String, String> newNamespaces) {
        return new ContainerState(ociVersion, id, "running", init.pid(), init.startTime(), launcherPid, launcherStartTime,
                bundle, rootfs, rootless, created, uidMap, gidMap, cgroup, newNamespaces, annotations, detached);
    }

    /** Whether the launcher that holds this container still runs (if not, the kernel is ending the container). */
    @JsonIgnore
    public boolean launcherAlive() {
        return new ProcessIdentity(launcherPid, launcherStartTime).alive();
    }

    /** Whether the container's init still runs (it may outlive a SIGKILLed launcher briefly). */
    @JsonIgnore
    public boolean initAlive() {
        return pid > 0 && new ProcessIdentity(pid, pidStartTime).alive();
    }

    /**
     * The status as it is now: the recorded one while the launcher runs; once the launcher is gone
     * (a killed {@code run}, or {@code create} that returned), "created" or "running" while the init
     * lives (created or paused only if so recorded: it still waits on exec.fifo, or is frozen), otherwise "stopped".
     */
    @JsonIgnore
    public String effectiveStatus() {
        if (launcherPid == 0) {
            return status; // no record: "creating" while young, else "stopped"
        }
        boolean started = status.equals("running") || status.equals("paused");
        if (launcherAlive() && !status.equals("stopped")) {
            return started && !initAlive() ? "stopped" : status;
        }
        if (!initAlive()) {
            return "stopped";
        }
        return status.equals("created") || status.equals("paused") ? status : "running";
    }

    /** This state with {@link #effectiveStatus()} as its status, for printing. */
    public ContainerState current() {
        String now = effectiveStatus();
        return now.equals(status) ? this : new ContainerState(ociVersion, id, now, pid, pidStartTime, launcherPid,
                launcherStartTime, bundle, rootfs, rootless, created, uidMap, gidMap, cgroup, namespaces, annotations, detached);
    }

    /**
     * The OCI state (runtime-spec state.md: ociVersion, id, status, pid, bundle, annotations) as of
     * {@code asStatus}: what a hook reads on its stdin.
     */
    public String ociJson(String asStatus) {
        return new JsonText().field("ociVersion", ociVersion).field("id", id).field("status", asStatus).field("pid", pid)
                .field("bundle", bundle).field("annotations", annotations).close();
    }

    /**
     * Pretty JSON, null fields left out, written by hand: loading and configuring Jackson for two small
     * writes would be the largest cost of a launch. Reading state.json (state, list, stats) uses Jackson.
     */
    public String toJson() {
        JsonText json = new JsonText();
        json.field("ociVersion", ociVersion).field("id", id).field("status", status).field("pid", pid)
                .field("pidStartTime", pidStartTime).field("launcherPid", launcherPid)
                .field("launcherStartTime", launcherStartTime).field("bundle", bundle).field("rootfs", rootfs)
                .field("rootless", rootless).field("created", created).field("uidMap", uidMap).field("gidMap", gidMap)
                .field("cgroup", cgroup).field("namespaces", namespaces).field("annotations", annotations);
        if (detached != null) {
            json.field("detached", detached);
        }
        return json.close();
    }
}
