package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.constants.Prctl;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.util.function.IntSupplier;

/**
 * An fd of a user namespace that carries the container's id maps, for mount_setattr's
 * {@code MOUNT_ATTR_IDMAP}, made as crun and runc make it: a short-lived helper cloned into a new user
 * namespace waits on a pipe (running no Java, like any child), the launcher writes its maps and opens
 * {@code /proc/PID/ns/user}, then kills and reaps it. The namespace lives on through the fd, and then
 * through the idmapped mounts. Made on first use only; {@link #close()} closes the fd.
 */
final class IdmapUserNamespace implements IntSupplier, AutoCloseable {
    private final IdMaps idMaps;
    private int fd = -1;

    IdmapUserNamespace(IdMaps idMaps) {
        this.idMaps = idMaps;
    }

    @Override
    public int getAsInt() {
        if (fd < 0) {
            fd = open(idMaps);
        }
        return fd;
    }

    private static int open(IdMaps idMaps) {
        int[] wait = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] opened = {-1};
        try (SyscallTable table = new SyscallTable()) {
            ChildSteps steps = new ChildSteps(table, -1);
            steps.step("die with the launcher", "the helper must not outlive it", "prctl", Prctl.PR_SET_PDEATHSIG, Signals.SIGKILL, 0, 0, 0);
            steps.step("close the launcher's end of the wait pipe", "its read ends when the launcher closes its end, even if the kill fails",
                    "close", wait[1]);
            steps.step("wait", "the launcher writes the maps, opens the namespace, then kills the helper",
                    "read", wait[0], steps.memory().allocate(8), 1);
            long flags = CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_PIDFD | Signals.SIGCHLD
                    | CloneFlags.CLONE_VM | CloneFlags.CLONE_VFORK;
            SyscallTable.Spawned helper = table.cloneAndRun(flags, -1, (pid, pidfd) -> {
                try {
                    idMaps.writeTo(pid);
                    opened[0] = DirectoryCalls.openat(OpenFlags.AT_FDCWD, "/proc/" + pid + "/ns/user",
                            OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
                } finally {
                    release(pid, pidfd, wait); // releases this vfork'ed thread
                }
            });
            try {
                Syscalls.wait4(helper.pid(), 0);
            } finally {
                Syscalls.close(helper.pidfd());
            }
            if (helper.parentWorkFailure() != null) {
                throw new LaunchException("idmapped mounts: cannot make a user namespace with the container's maps: "
                        + helper.parentWorkFailure().getMessage(), helper.parentWorkFailure());
            }
            int namespace = opened[0];
            opened[0] = -1; // the caller's now
            return namespace;
        } finally {
            closeIfOpen(opened[0]); // the work failed after opening it, or the reaping did
            Syscalls.close(wait[0]);
            if (wait[1] >= 0) {
                Syscalls.close(wait[1]);
            }
        }
    }

    /**
     * Ends the helper: SIGKILL through its pidfd, by pid if that fails (it is our unreaped child, so
     * the pid is still its), and in any case end-of-file on its read: it holds no write end of its own.
     */
    private static void release(int pid, int pidfd, int[] wait) {
        try {
            Syscalls.pidfdSendSignal(pidfd, Signals.SIGKILL);
        } catch (SyscallException e) {
            try {
                Syscalls.kill(pid, Signals.SIGKILL);
            } catch (SyscallException gone) {
                // the close below still ends its wait
            }
        } finally {
            int write = wait[1];
            wait[1] = -1;
            Syscalls.close(write);
        }
    }

    private static void closeIfOpen(int fd) {
        if (fd >= 0) {
            try {
                Syscalls.close(fd);
            } catch (SyscallException e) {
                // nothing else holds it
            }
        }
    }

    @Override
    public void close() {
        if (fd >= 0) {
            try {
                Syscalls.close(fd);
            } catch (SyscallException e) {
                // already closed
            }
            fd = -1;
        }
    }
}
