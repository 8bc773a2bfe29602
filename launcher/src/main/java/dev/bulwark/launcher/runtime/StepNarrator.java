package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.io.PrintStream;

/** {@code run --explain}: narrates the child's syscall table as the child runs it, from its progress pipe. */
final class StepNarrator {
    private StepNarrator() {
    }

    /**
     * Prints each step as the child reaches it (it reports the index of the step it is about to run).
     * Runs of steps with the same explanation (41 bounding-set drops, 62 signal resets) share one line.
     */
    static Thread start(PrintStream explain, int progressRead, int pid, SyscallTable table, ChildSteps steps) {
        Thread thread = new Thread(() -> {
            String pendingWhy = null;
            String firstStep = null;
            String lastStep = null;
            int run = 0;
            while (true) {
                byte[] index = Syscalls.read(progressRead, 4);
                String step = null;
                String why = null;
                if (index.length == 4) {
                    int entry = java.nio.ByteBuffer.wrap(index).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
                    step = table.step(entry);
                    why = java.util.Objects.requireNonNullElse(steps.explanation(entry), "");
                    if (why.equals(pendingWhy) && run > 0) {
                        lastStep = step;
                        run++;
                        continue;
                    }
                }
                if (run > 0) {
                    String line = run == 1 ? firstStep : firstStep + " ... " + lastStep + " (" + run + " steps)";
                    explain.println("[child " + pid + "] " + line + (pendingWhy.isEmpty() ? "" : "  -- " + pendingWhy));
                }
                if (step == null) {
                    return; // execve closed the pipe, or the child died
                }
                pendingWhy = why;
                firstStep = step;
                lastStep = step;
                run = 1;
            }
        }, "bulwark-narrator");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Lets the narrator print its last lines (the progress pipe closed at execve or the child's death). */
    static void await(Thread thread) {
        if (thread != null) {
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
