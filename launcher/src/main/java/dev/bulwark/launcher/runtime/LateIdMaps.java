package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.setup.ChildProgram;

/**
 * The launcher's side of the child's stop for its id maps, when the config creates a user namespace
 * and joins other namespaces: the child joins them first, with the launcher's privileges, then
 * unshares its user namespace and stops; the maps are written then, not right after clone (the
 * namespace did not exist yet). Exists only for such configs: otherwise the child never stops for
 * its maps and a launch costs what it did.
 */
final class LateIdMaps implements AutoCloseable {
    private final StopPipes pipes;
    private final ChildProgram.IdMapStop stop;

    private LateIdMaps(StopPipes pipes) {
        this.pipes = pipes;
        this.stop = new ChildProgram.IdMapStop(pipes.stoppedRead(), pipes.stoppedWrite(), pipes.resumeRead(), pipes.resumeWrite());
    }

    /** The stop {@code spec} needs, or null when the maps are written right after clone, as usual. */
    static LateIdMaps plan(Spec spec) {
        if (!ChildProgram.needsIdMapStop(spec)) {
            return null;
        }
        return new LateIdMaps(StopPipes.open());
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
        pipes.closeChildEnds(); // end-of-file on the stop pipe once the child is gone
        if (!pipes.awaitStop()) {
            return false;
        }
        writeMaps.run();
        pipes.resume("its id maps were written");
        pipes.closeLauncherEnds();
        return true;
    }

    @Override
    public void close() {
        pipes.close();
    }
}
