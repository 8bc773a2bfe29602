package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code linux.namespaces[].path}: the child joins that namespace with setns(2) instead of getting a new
 * one (clone leaves that type out). It opens the path right after the launcher releases it, while the host's
 * files are still visible, and passes the namespace type to setns, so the kernel refuses (EINVAL) a path that
 * is a namespace of another type. Joining a user, mount or pid namespace is refused: a user namespace
 * changes who the child is before the launcher's id maps, the root is assembled relative to the mount
 * namespace it starts in, and a pid namespace applies only to children (it needs one more fork).
 */
final class NamespaceJoinSteps {
    private NamespaceJoinSteps() {
    }

    static void join(ChildSteps steps, List<LinuxNamespace> namespaces) {
        for (int i = 0; i < namespaces.size(); i++) {
            LinuxNamespace namespace = namespaces.get(i);
            if (namespace.path() == null || namespace.path().isEmpty()) {
                continue;
            }
            String field = "linux.namespaces[" + i + "].path";
            long type = switch (namespace.type()) {
                case "network" -> CloneFlags.CLONE_NEWNET;
                case "ipc" -> CloneFlags.CLONE_NEWIPC;
                case "uts" -> CloneFlags.CLONE_NEWUTS;
                case "cgroup" -> CloneFlags.CLONE_NEWCGROUP;
                case "time" -> CloneFlags.CLONE_NEWTIME;
                default -> throw new LaunchException(field + ": joining an existing " + namespace.type()
                        + " namespace is not supported; list it without a path for a new one");
            };
            if (!Files.exists(Path.of(namespace.path()))) {
                throw new LaunchException(field + ": " + namespace.path() + " does not exist");
            }
            Entry fd = steps.step(field + ": open " + namespace.path(), "the namespace to join",
                    "openat", OpenFlags.AT_FDCWD, steps.string(namespace.path()), OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
            steps.step(field + ": join the " + namespace.type() + " namespace at " + namespace.path(),
                    "the config shares it (the kernel checks it is a " + namespace.type() + " namespace)",
                    "setns", 0, type).argumentFrom(0, fd);
            steps.step(field + ": close " + namespace.path(), "joined", "close", 0).argumentFrom(0, fd);
        }
    }
}
