package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code process.oomScoreAdj} for an exec'd process, which inherits it from the launcher as runc's exec does
 * (its init writes its own before going non-dumpable): the launcher takes the value just before the clone and
 * takes its own back right after. Its /proc/self/oom_score_adj is opened while it is still dumpable: a
 * non-dumpable process's /proc files belong to host root, and an unprivileged launcher could not open it later
 * (nor its non-dumpable child's); the kernel checks a write only against the CAP_SYS_RESOURCE floor.
 * <p>
 * oom_score_adj is one value per process, so in an embedding JVM that execs from many threads the read, the
 * write and the restore of one exec must not interleave with another's: the JVM would be left at a container's
 * value, or a lower value refused because another exec's higher one was read as the launcher's own. They run
 * under {@link #PROCESS_WIDE}, the one lock for the process's one value (not mutable state: it holds no data).
 */
final class InheritedOomScore implements AutoCloseable {
    private static final Path FILE = Path.of("/proc/self/oom_score_adj");
    /** Serialises every take-and-restore of this process's oom_score_adj; see the class comment. */
    private static final Object PROCESS_WIDE = new Object();
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
     * Sets {@code adj} (when not null) for the launcher while {@code clone} runs, so its child inherits it; with
     * none, the clone still waits for another exec's value to be taken back, so its child inherits the launcher's own.
     */
    <T> T during(Integer adj, java.util.function.Supplier<T> clone) {
        if (adj == null) {
            synchronized (PROCESS_WIDE) {
                return clone.get();
            }
        }
        if (channel == null) {
            throw new LaunchException(unavailable, ContainerExec.EXEC_FAILED, null);
        }
        synchronized (PROCESS_WIDE) {
            String own = read();
            write(adj.toString(), () -> "process.oomScoreAdj: " + adj + " is below the launcher's own value (" + own
                    + "); lowering it needs CAP_SYS_RESOURCE, which this launcher does not hold; use a value >= " + own);
            try {
                return clone.get();
            } finally {
                try { // never throws: the child, once cloned, must reach the caller (nothing left behind)
                    write(own, () -> "the launcher cannot take back its own oom_score_adj " + own);
                } catch (LaunchException e) {
                    LOG.log(System.Logger.Level.WARNING, "process.oomScoreAdj: " + e.getMessage());
                }
            }
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
