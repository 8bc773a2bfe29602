package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.setup.ChildProgram;
import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.launcher.setup.Narration;
import dev.bulwark.launcher.setup.PlannedStep;
import dev.bulwark.launcher.setup.SetupPlan;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * {@code run --explain} and {@code --trace}: narrates the child's steps as the child reaches them (it
 * reports each step's table index on its progress pipe before running it). The lines come from the
 * plan ({@link Narration}); at the child's last stop ({@link ChildProgram#NARRATOR_STOP}, before the
 * filter and execve) the narrator prints every line left, flushes, and only then lets the child go on:
 * no narration line can follow the workload's first byte of output.
 */
final class StepNarrator {
    private StepNarrator() {
    }

    /**
     * @param narratorWrite the launcher's end of the pipe the child waits on at its last stop
     */
    static Thread start(PrintStream explain, int progressRead, int narratorWrite, SyscallTable table, ChildSteps steps,
                        dev.bulwark.config.model.Spec spec) {
        SetupPlan plan = steps.plan();
        List<Narration.Line> lines = Narration.of(plan, spec, NarrationStream.detailOf(explain));
        int[] stepOfEntry = new int[table.size()];
        for (int entry = 0; entry < stepOfEntry.length; entry++) {
            stepOfEntry[entry] = steps.stepOfEntry(entry);
        }
        int stop = plan.steps().stream().filter(s -> s.name().equals(ChildProgram.NARRATOR_STOP))
                .mapToInt(PlannedStep::index).findFirst().orElse(-1);
        Thread thread = new Thread(() -> {
            int next = 0;
            boolean released = false;
            try {
            while (true) {
                byte[] report = Syscalls.read(progressRead, 4);
                if (report.length != 4) {
                    explain.flush();
                    return; // execve closed the pipe, or the child died (its failure record says where)
                }
                int entry = ByteBuffer.wrap(report).order(ByteOrder.LITTLE_ENDIAN).getInt();
                int step = entry >= 0 && entry < stepOfEntry.length ? stepOfEntry[entry] : -1;
                if (released || step < 0) {
                    continue;
                }
                boolean last = step == stop;
                while (next < lines.size() && (last || lines.get(next).step() <= step)) {
                    explain.println(NarrationStream.PREFIX + lines.get(next).text());
                    next++;
                }
                if (last) {
                    explain.flush();
                    released = true;
                    release(narratorWrite);
                }
            }
            } finally {
                if (!released) {
                    release(narratorWrite); // never leave the child waiting on a narrator that failed
                }
            }
        }, "bulwark-narrator");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void release(int narratorWrite) {
        try {
            Syscalls.write(narratorWrite, new byte[] {1});
        } catch (SyscallException e) {
            // the child is gone: its failure record or wait status says why
        }
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
