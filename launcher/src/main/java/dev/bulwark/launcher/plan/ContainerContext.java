package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Spec;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything the launch plan is compiled from: the validated config plus the facts of this launch.
 *
 * @param id          container id (names the state directory and the cgroup)
 * @param spec        the validated OCI config
 * @param bundle      the bundle directory, or null for the built-in default
 * @param rootfs      host path of the container's root: the bundle's rootfs (canonical), or the
 *                    empty mount point in the state directory where the host-/usr root is assembled
 * @param hostUsrRoot whether the root is assembled from the host's /usr on a fresh tmpfs
 * @param rootless    whether the launcher runs without host root
 * @param hostUid     the launcher's uid on the host
 * @param hostGid     the launcher's gid on the host
 * @param limitFallback rlimits the child sets because cgroup v2 cannot apply the default limits here
 * @param lsm         the security modules this host has active, probed once for the launch
 * @param passedFds   how many of the launcher's fds from 3 up the workload inherits (socket activation's
 *                    listening sockets, then --preserve-fds); every other fd above stderr is closed
 */
public record ContainerContext(String id, Spec spec, Path bundle, Path rootfs, boolean hostUsrRoot,
                               boolean rootless, int hostUid, int hostGid, List<PosixRlimit> limitFallback,
                               LsmHost lsm, int passedFds) {
    public ContainerContext {
        limitFallback = List.copyOf(limitFallback);
        java.util.Objects.requireNonNull(lsm, "lsm");
        if (passedFds < 0) {
            throw new IllegalArgumentException("passedFds " + passedFds);
        }
    }

    /** A launch that passes no fd beyond stdin, stdout and stderr. */
    public ContainerContext(String id, Spec spec, Path bundle, Path rootfs, boolean hostUsrRoot,
                            boolean rootless, int hostUid, int hostGid, List<PosixRlimit> limitFallback, LsmHost lsm) {
        this(id, spec, bundle, rootfs, hostUsrRoot, rootless, hostUid, hostGid, limitFallback, lsm, 0);
    }

    /** For a caller that has not probed the host's LSMs yet: probes them here, once. */
    public ContainerContext(String id, Spec spec, Path bundle, Path rootfs, boolean hostUsrRoot,
                            boolean rootless, int hostUid, int hostGid, List<PosixRlimit> limitFallback) {
        this(id, spec, bundle, rootfs, hostUsrRoot, rootless, hostUid, hostGid, limitFallback, LsmHost.probe());
    }
}
