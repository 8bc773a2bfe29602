package dev.bulwark.launcher.setup;

import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.LauncherUserNamespace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where {@code linux.sysctl} is applied: each key written to /proc/sys in the child, after the
 * container's /proc is mounted and before /proc/sys is made read-only. Only keys a namespace of the
 * container isolates (net.*, the ipc ones, kernel.hostname/domainname) get here: the config
 * validator rejects any other by name ({@code linux.sysctl["kernel.foo"]: not namespaced; would change the host}).
 *
 * <p>Also {@code vm.memfd_noexec=2}, which Bulwark sets itself in the container's own pid namespace
 * (the sysctl is per pid namespace since Linux 6.3): memfds are created sealed non-executable and
 * {@code MFD_EXEC} is refused, so a workload cannot run code it wrote into a memfd (fexecve). The
 * kernel only lets the global root uid write it, so only a root launch can, and only while the
 * child still has the launcher's credentials: before it becomes root of its user namespace.
 */
final class SysctlSteps {
    static final String MEMFD_NOEXEC = "/proc/sys/vm/memfd_noexec";

    private SysctlSteps() {
    }

    static void write(ChildSteps steps, Map<String, String> sysctl) {
        for (Map.Entry<String, String> entry : sysctl.entrySet()) {
            String key = entry.getKey();
            steps.field("linux.sysctl[\"" + key + "\"]");
            String path = "/proc/sys/" + key.replace('.', '/');
            if (key.contains("/")) {
                path = "/proc/sys/" + key; // the slash form names the path directly (dots may be part of a name)
            }
            steps.writeExisting("set sysctl " + key + "=" + entry.getValue(),
                    "a kernel setting of the container's own namespace (linux.sysctl)", path, entry.getValue());
        }
    }

    /**
     * Whether {@link #forbidExecutableMemfds} can run: a launch by host root (rootless, or as root of
     * another user namespace such as rootless Podman's, the write fails with EACCES whatever the namespace), a pid namespace of the container's own (else the write
     * would change the host's), and a kernel that has the sysctl.
     */
    static boolean canForbidExecutableMemfds(ContainerContext context) {
        boolean ownPidNamespace = context.spec().linux().namespaces().stream()
                .anyMatch(ns -> "pid".equals(ns.type()) && ns.path() == null);
        // A pid namespace the child unshares later (after its joins) does not exist yet here.
        boolean clonedPidNamespace = ownPidNamespace && !NamespaceJoinSteps.unsharesAfterJoining(context.spec().linux());
        return !context.rootless() && LauncherUserNamespace.isInitial() && clonedPidNamespace && Files.exists(Path.of(MEMFD_NOEXEC));
    }

    /** Run first in the child: it is in its new pid namespace and still holds the launcher's (global root) uid. */
    static void forbidExecutableMemfds(ChildSteps steps) {
        steps.writeExisting("set vm.memfd_noexec=2 in the container's pid namespace",
                "memfds are sealed non-executable and MFD_EXEC is refused: no running code written to a memfd",
                MEMFD_NOEXEC, "2");
    }
}
