package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

/**
 * The two pipes of a stop in the child's table: the child writes a byte on "stopped" and blocks
 * reading "resume" while the launcher works (hooks, id maps). The launcher owns all four ends; the
 * child's two are closed here once it is cloned, so that end-of-file on "stopped" means the child is gone.
 */
final class StopPipes implements AutoCloseable {
    private static final byte RESUME = 1;
    private static final int STOPPED_READ = 0, STOPPED_WRITE = 1, RESUME_READ = 2, RESUME_WRITE = 3;

    private final int[] fds;

    private StopPipes(int[] fds) {
        this.fds = fds;
    }

    static StopPipes open() {
        int[] stopped = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] resume;
        try {
            resume = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        } catch (SyscallException e) {
            Syscalls.close(stopped[0]);
            Syscalls.close(stopped[1]);
            throw e;
        }
        return new StopPipes(new int[] {stopped[0], stopped[1], resume[0], resume[1]});
    }

    int stoppedRead() { return fds[STOPPED_READ]; }
    int stoppedWrite() { return fds[STOPPED_WRITE]; }
    int resumeRead() { return fds[RESUME_READ]; }
    int resumeWrite() { return fds[RESUME_WRITE]; }

    /** After clone: the child holds its own copies of its ends. */
    void closeChildEnds() {
        closeOnce(STOPPED_WRITE);
        closeOnce(RESUME_READ);
    }

    /** Waits for the child's next stop; false if it ended first (its failure record says why). */
    boolean awaitStop() {
        return Syscalls.read(fds[STOPPED_READ], 1).length == 1;
    }

    /** Lets the child go on; {@code during} says what the launcher was doing, for the error if it is gone. */
    void resume(String during) {
        try {
            Syscalls.write(fds[RESUME_WRITE], new byte[] {RESUME});
        } catch (SyscallException e) {
            throw new LaunchException("the container's init ended while " + during + ": " + e.getMessage(), e);
        }
    }

    /** Closes the launcher's ends once the last stop is served. */
    void closeLauncherEnds() {
        closeOnce(RESUME_WRITE);
        closeOnce(STOPPED_READ);
    }

    private void closeOnce(int index) {
        if (fds[index] >= 0) {
            Syscalls.close(fds[index]);
            fds[index] = -1;
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < fds.length; i++) {
            try {
                closeOnce(i);
            } catch (SyscallException e) {
                fds[i] = -1; // already closed on an error path
            }
        }
    }
}
