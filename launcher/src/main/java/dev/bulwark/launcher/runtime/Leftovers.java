package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.Signals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What may still run of a container whose launcher was killed: its init (when the parent-death signal
 * is late) and anything in its cgroup. Killed only when state.json names them in a way that can be
 * checked: the init by pid, start time and user namespace, the cgroup by its place in the hierarchy.
 */
final class Leftovers {
    private Leftovers() {
    }

    /** Kills the recorded init, then everything in the cgroup, and removes the cgroup. */
    static void kill(ContainerState recorded, Optional<ContainerCgroup> cgroup) {
        killInit(recorded);
        cgroup.ifPresent(found -> {
            try {
                found.kill();
                found.remove();
            } catch (CgroupException e) {
                StateDirectory.warn("could not remove cgroup " + found.path() + ": " + e.getMessage());
            }
        });
    }

    /** The recorded cgroup, if it still exists; refused (one line) when it is not one Bulwark places for this id. */
    static Optional<ContainerCgroup> recordedCgroup(ContainerId id, ContainerState recorded) {
        if (recorded.cgroup() == null) {
            return Optional.empty();
        }
        try {
            return ContainerCgroup.findRecorded(recorded.cgroup(), id.value());
        } catch (CgroupException e) {
            if (recorded.outlivesLauncher() && recorded.namespaces() != null && !recorded.namespaces().isEmpty()) {
                // create honours linux.cgroupsPath, which need not name the id: accept that cgroup only when
                // everything in it is in the container's own user namespace (or, without one, its pid namespace)
                String type = recorded.namespaces().containsKey("user")
                        && !recorded.namespaces().get("user").equals(ownNamespace("user")) ? "user" : "pid";
                String namespace = recorded.namespaces().get(type);
                try {
                    return ContainerCgroup.findConfigured(recorded.cgroup(), pid -> namespace == null
                            ? pid == recorded.pid() : inNamespace(pid, type, namespace) && !namespace.equals(ownNamespace(type)));
                } catch (CgroupException refused) {
                    throw new LaunchException("container " + id + ": " + refused.getMessage(), refused);
                }
            }
            throw new LaunchException("container " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * SIGKILLs the container's init when it outlived its launcher (the parent-death signal arrives
     * late, or not at all if the launcher died before setting it up): through a pidfd, after checking
     * that the pid still names the process recorded (same start time), then waits for it to go.
     */
    private static void killInit(ContainerState recorded) {
        if (!recorded.initAlive()) {
            return;
        }
        if (!inRecordedNamespaces(recorded)) {
            StateDirectory.warn("container " + recorded.id() + ": pid " + recorded.pid() + " is not in the namespaces state.json"
                    + " records for it; not killed");
            return;
        }
        int pidfd;
        try {
            pidfd = DirectoryCalls.pidfdOpen(recorded.pid());
        } catch (SyscallException e) {
            return; // ESRCH: gone meanwhile
        }
        try {
            if (!recorded.initAlive() || !inRecordedNamespaces(recorded)) {
                return; // the pid was reused between the checks and pidfd_open: the pidfd names another process
            }
            Syscalls.pidfdSendSignal(pidfd, Signals.SIGKILL);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (recorded.initAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (SyscallException e) {
            // ESRCH: it exited meanwhile
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Syscalls.close(pidfd);
        }
    }

    /**
     * Sends {@code signal} to the recorded init through a pidfd, after checking that the pid still names
     * that process (start time) in the container's user namespace. False when it is gone.
     */
    static boolean signalInit(ContainerState recorded, int signal) {
        if (!recorded.initAlive()) {
            return false;
        }
        if (!inRecordedNamespaces(recorded)) {
            throw new LaunchException("container " + recorded.id() + ": pid " + recorded.pid()
                    + " is not in the namespaces state.json records for it; not signalled");
        }
        int pidfd;
        try {
            pidfd = DirectoryCalls.pidfdOpen(recorded.pid());
        } catch (SyscallException e) {
            return false; // ESRCH: gone meanwhile
        }
        try {
            if (!recorded.initAlive()) {
                return false; // the pid was reused between the check and pidfd_open
            }
            Syscalls.pidfdSendSignal(pidfd, signal);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == dev.bulwark.nativ.Errno.ESRCH) {
                return false;
            }
            throw new LaunchException("container " + recorded.id() + ": " + e.getMessage(), e);
        } finally {
            Syscalls.close(pidfd);
        }
    }

    private static boolean inNamespace(long pid, String type, String namespace) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", type)).toString().equals(namespace);
        } catch (IOException e) {
            return true; // exited meanwhile: nothing of it to protect
        }
    }

    private static String ownNamespace(String type) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns", type)).toString();
        } catch (IOException e) {
            throw new LaunchException("reading /proc/self/ns/" + type + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the recorded init is still in the user and pid namespaces recorded with it, and at
     * least one of them is not this process's own: a pid that names a process of the launcher's own
     * namespaces is never taken for the container's. (A container that shares both with the host,
     * as an oci-profile config may, is then left to its cgroup.)
     */
    private static boolean inRecordedNamespaces(ContainerState recorded) {
        if (recorded.namespaces() == null) {
            return false;
        }
        boolean ownNamespace = false;
        try {
            for (String type : List.of("user", "pid")) {
                String namespace = recorded.namespaces().get(type);
                if (namespace == null
                        || !Files.readSymbolicLink(Path.of("/proc", Integer.toString(recorded.pid()), "ns", type)).toString().equals(namespace)) {
                    return false;
                }
                ownNamespace |= !namespace.equals(Files.readSymbolicLink(Path.of("/proc/self/ns", type)).toString());
            }
        } catch (IOException e) {
            return false; // gone meanwhile
        }
        return ownNamespace;
    }
}
