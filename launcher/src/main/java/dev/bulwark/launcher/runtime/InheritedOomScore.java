package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * {@code process.oomScoreAdj} for an exec'd process, which inherits it from the launcher as runc's exec does
 * (its init writes its own before going non-dumpable): the launcher takes the value just before the clone and
 * takes its own back right after. Its /proc/self/oom_score_adj is opened while it is still dumpable: a
 * non-dumpable process's /proc files belong to host root, and an unprivileged launcher could not open it later
 * (nor its non-dumpable child's); the kernel checks a write only against the CAP_SYS_RESOURCE floor.
 * <p>
 * oom_score_adj is one value per process, so in an embedding JVM that launches from many threads the read, the
 * write and the restore of one exec must not interleave with another exec's, nor with any other clone (a run's
 * init would inherit an exec's value): the JVM would be left at a container's value, or a lower value refused
 * because another exec's higher one was read as the launcher's own. A child copies the value at clone, so the
 * critical section is short: {@link #PROCESS_WIDE}, the one lock for the process's one value (it holds no data),
 * is taken just before the clone and given back by {@link CloneWindow#cloned} in the clone's parent callback,
 * right after the clone: never across the child's setup, which may stall in a frozen or throttled cgroup.
 */
final class InheritedOomScore implements AutoCloseable {
    private static final Path FILE = Path.of("/proc/self/oom_score_adj");
    /**
     * Serialises every clone against every take-and-restore of this process's oom_score_adj; see the class comment.
     * A semaphore, not a monitor: a CLONE_VFORK clone's parent callback runs on a helper thread.
     */
    private static final Semaphore PROCESS_WIDE = new Semaphore(1);
    private static final System.Logger LOG = System.getLogger(InheritedOomScore.class.getName());
    /** Null when the launcher could not open its own (see {@link #openIfPossible}): why, for a process that asks for one. */
    private final FileChannel channel;
    private final String unavailable;

    private InheritedOomScore(FileChannel channel, String unavailable) {
        this.channel = channel;
        this.unavailable = unavailable;
    }

    /** Opens the launcher's oom_score_adj: before it makes itself non-dumpable. */
    static InheritedOomScore open() {
        try {
            return new InheritedOomScore(FileChannel.open(FILE, StandardOpenOption.READ, StandardOpenOption.WRITE), null);
        } catch (IOException e) {
            throw new LaunchException("opening " + FILE + ": " + e.getMessage(), ContainerExec.EXEC_FAILED, e);
        }
    }

    /**
     * As {@link #open()}, for an embedding JVM that an earlier launch may have left non-dumpable (its /proc files
     * then belong to host root): without it, only a process that sets no oomScoreAdj can be exec'd.
     */
    static InheritedOomScore openIfPossible() {
        try {
            return open();
        } catch (LaunchException e) {
            return new InheritedOomScore(null, "process.oomScoreAdj: the launcher cannot pass it on (" + e.getMessage() + ")");
        }
    }

    /**
     * The critical section around one clone, ended by the first {@link #cloned} (the clone's parent callback calls it
     * first thing) or, for a clone that failed or never called it, when the clone returns.
     */
    static final class CloneWindow {
        private final AtomicBoolean open = new AtomicBoolean(true);
        private final Runnable restore;

        private CloneWindow(Runnable restore) {
            this.restore = restore;
        }

        /** The child exists and has its copy of the value: the launcher's own is back, other clones may go. */
        void cloned() {
            if (!open.compareAndSet(true, false)) {
                return;
            }
            try {
                restore.run();
            } finally {
                PROCESS_WIDE.release();
            }
        }
    }

    /**
     * Runs {@code clone} (a clone whose parent callback first calls {@link CloneWindow#cloned}) with no other exec's
     * value set: its child inherits the launcher's own. For a run's init, which writes its own value.
     */
    static <T> T withOwnValue(Function<CloneWindow, T> clone) {
        PROCESS_WIDE.acquireUninterruptibly();
        CloneWindow window = new CloneWindow(() -> { });
        try {
            return clone.apply(window);
        } finally {
            window.cloned();
        }
    }

    /**
     * Sets {@code adj} (when not null) for the launcher until {@code clone}'s child exists (its parent callback calls
     * {@link CloneWindow#cloned}), so the child inherits it; with none, as {@link #withOwnValue}.
     */
    <T> T during(Integer adj, Function<CloneWindow, T> clone) {
        if (adj == null) {
            return withOwnValue(clone);
        }
        if (channel == null) {
            throw new LaunchException(unavailable, ContainerExec.EXEC_FAILED, null);
        }
        PROCESS_WIDE.acquireUninterruptibly();
        CloneWindow window;
        try {
            String own = read();
            write(adj.toString(), () -> "process.oomScoreAdj: " + adj + " is below the launcher's own value (" + own
                    + "); lowering it needs CAP_SYS_RESOURCE, which this launcher does not hold; use a value >= " + own);
            window = new CloneWindow(() -> {
                try { // never throws: the child, once cloned, must reach the caller (nothing left behind)
                    write(own, () -> "the launcher cannot take back its own oom_score_adj " + own);
                } catch (LaunchException e) {
                    LOG.log(System.Logger.Level.WARNING, "process.oomScoreAdj: " + e.getMessage());
                }
            });
        } catch (RuntimeException e) {
            PROCESS_WIDE.release();
            throw e;
        }
        try {
            return clone.apply(window);
        } finally {
            window.cloned();
        }
    }

    private String read() {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(16);
            channel.read(buffer, 0);
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new LaunchException("reading " + FILE + ": " + e.getMessage(), ContainerExec.EXEC_FAILED, e);
        }
    }

    private void write(String value, java.util.function.Supplier<String> denied) {
        try {
            channel.write(ByteBuffer.wrap(value.getBytes(StandardCharsets.US_ASCII)), 0);
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("Permission denied")) {
                throw new LaunchException(denied.get(), e);
            }
            throw new LaunchException("process.oomScoreAdj: writing " + FILE + ": " + e.getMessage(), ContainerExec.EXEC_FAILED, e);
        }
    }

    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // a read-write procfs file: closing it cannot lose data
        }
    }
}
