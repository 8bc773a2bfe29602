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
 * sleeps on the slot where the kernel stores the child's pidfd until the child's first instruction wakes it.
 */
final class WorkRunner {
    private final Thread thread;
    private volatile boolean cancelled;
    private volatile RuntimeException failure;

    /** How long one sleep on the pidfd slot lasts at most (the child's wake normally ends it first). */
    private static final long SLOT_WAIT_NANOS = 1_000_000;

    private WorkRunner(long pidfdSlot, SyscallTable.ParentWork work) {
        this.thread = new Thread(() -> {
            int pidfd;
            Backoff slotBackoff = new Backoff();
            boolean futexFailed = false;
            while ((pidfd = NativeMemory.getInt(pidfdSlot)) < 0) {
                if (cancelled) {
                    return;
                }
                if (futexFailed) { // said once; the back-off polls for the rest of this wait
                    slotBackoff.pause();
                    continue;
                }
                // The kernel stores the number once it made the new namespaces (up to milliseconds); the child's first
                // instruction is a futex wake on the slot (X86_64Routines), so this sleep ends as soon as the child runs.
                // The timeout only bounds how late a cancelled clone is noticed (and a child without CLONE_VM wakes nobody).
                try {
                    Syscalls.futexWait(pidfdSlot, -1, SLOT_WAIT_NANOS);
                } catch (SyscallException e) { // not expected (own, aligned memory): the timed polling below still works
                    System.getLogger(WorkRunner.class.getName()).log(System.Logger.Level.WARNING,
                            "waiting on the pidfd slot with futex failed, polling instead: " + e.getMessage());
                    futexFailed = true;
                }
            }
            Backoff backoff = new Backoff();
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
