package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.setup.ChildProgram;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

/**
 * The launcher's side of the child's stop for its id maps, when the config creates a user namespace
 * and joins other namespaces: the child joins them first, with the launcher's privileges, then
 * unshares its user namespace and stops; the maps are written then, not right after clone (the
 * namespace did not exist yet). Exists only for such configs: otherwise the child never stops for
 * its maps and a launch costs what it did.
 */
final class LateIdMaps implements AutoCloseable {
    private static final byte RESUME = 1;

    private final ChildProgram.IdMapStop stop;
    private final int[] fds;

    private LateIdMaps(ChildProgram.IdMapStop stop) {
        this.stop = stop;
        this.fds = new int[] {stop.stoppedRead(), stop.stoppedWrite(), stop.resumeRead(), stop.resumeWrite()};
    }

    /** The stop {@code spec} needs, or null when the maps are written right after clone, as usual. */
    static LateIdMaps plan(Spec spec) {
        if (!ChildProgram.needsIdMapStop(spec)) {
            return null;
        }
        int[] stopped = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] resume;
        try {
            resume = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        } catch (SyscallException e) {
            Syscalls.close(stopped[0]);
            Syscalls.close(stopped[1]);
            throw e;
        }
        return new LateIdMaps(new ChildProgram.IdMapStop(stopped[0], stopped[1], resume[0], resume[1]));
    }

    ChildProgram.IdMapStop stop() {
        return stop;
    }

    /**
     * Waits for the child's stop, runs {@code writeMaps} (for the child's pid: the process that unshared
     * the user namespace is the one cloned) and lets it go on. Returns false, having written nothing, if
     * the child ended before its stop (a join failed: its failure record says why); whatever
     * {@code writeMaps} throws propagates, and the caller kills the child.
     */
    boolean serve(Runnable writeMaps) {
        closeOnce(1); // the child's ends: end-of-file on the stop pipe once the child is gone
        closeOnce(2);
        if (Syscalls.read(stop.stoppedRead(), 1).length != 1) {
            return false;
        }
        writeMaps.run();
        try {
            Syscalls.write(stop.resumeWrite(), new byte[] {RESUME});
        } catch (SyscallException e) {
            throw new LaunchException("the container's init ended while its id maps were written: " + e.getMessage(), e);
        }
        closeOnce(3);
        closeOnce(0);
        return true;
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
