package dev.bulwark.nativ.spawn;

import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.Signals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the launcher's {@link SyscallTable.ParentWork} for a spawned child; if it fails, kills the
 * child so a vfork-suspended caller wakes up. For CLONE_VFORK it runs on its own thread, which
 * waits for the kernel to store the child's pidfd.
 */
final class WorkRunner {
    private final Thread thread;
    private volatile boolean cancelled;
    private volatile RuntimeException failure;

    private WorkRunner(long pidfdSlot, SyscallTable.ParentWork work) {
        this.thread = new Thread(() -> {
            int pidfd;
            Backoff backoff = new Backoff();
            while ((pidfd = NativeMemory.getInt(pidfdSlot)) < 0) {
                if (cancelled) {
                    return;
                }
                backoff.pause(); // the kernel stores the number once it made the new namespaces: up to milliseconds
            }
            // The number is stored before the fd is installed; wait for /proc to show it (or clone to fail).
            Path fdinfo = Path.of("/proc/self/fdinfo/" + pidfd);
            while (!Files.exists(fdinfo)) {
                if (cancelled) {
                    return;
                }
                backoff.pause();
            }
            int fd = pidfd;
            failure = runNow((pid, ignored) -> work.run(pid, fd), pidOf(fdinfo, fd), fd);
        }, "bulwark-parent-work");
        thread.setDaemon(true);
    }

    /**
     * Waiting for the clone without burning a core: the clone makes the child's namespaces first (a network
     * namespace alone takes milliseconds on a loaded machine), and a spinning thread would take a CPU from it
     * (and from everything else on a 2-core host). A few spins, then yields, then sleeps of 20 us.
     */
    private static final class Backoff {
        private int round;

        void pause() {
            round++;
            if (round <= 64) {
                Thread.onSpinWait();
            } else if (round <= 128) {
                Thread.yield();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }
    }

    static WorkRunner startWatching(long pidfdSlot, SyscallTable.ParentWork work) {
        WorkRunner runner = new WorkRunner(pidfdSlot, work);
        runner.thread.start();
        return runner;
    }

    void cancel() {
        cancelled = true;
    }

    RuntimeException await() {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new IllegalStateException("interrupted while the parent work ran", e);
        }
        return failure;
    }

    static RuntimeException runNow(SyscallTable.ParentWork work, int pid, int pidfd) {
        try {
            if (pid <= 0) {
                throw new IllegalStateException("the child's pid could not be read from its pidfd " + pidfd);
            }
            work.run(pid, pidfd);
            return null;
        } catch (RuntimeException e) {
            try {
                Syscalls.pidfdSendSignal(pidfd, Signals.SIGKILL);
            } catch (SyscallException gone) {
                // already dead
            }
            return e;
        }
    }

    /** The pid behind a pidfd, from /proc/self/fdinfo ("Pid:" line); -1 if it cannot be read (the work then fails). */
    private static int pidOf(Path fdinfo, int pidfd) {
        try {
            for (String line : Files.readAllLines(fdinfo)) {
                if (line.startsWith("Pid:")) {
                    return Integer.parseInt(line.substring(4).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
