package dev.bulwark.api;

import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A container process's fds 0-2 as this JVM holds them: stdin from /dev/null or from a pipe this JVM writes,
 * stdout and stderr into pipes read by a thread each into an {@link OutputCapture} (bounded). The child's ends
 * are this JVM's until the child has its own copies ({@link #closeChildEnds()}).
 */
final class ProcessStdio {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.api");

    final OutputCapture stdout;
    final OutputCapture stderr;
    /** The child's ends: stdin, stdout, stderr. */
    private final int[] childEnds;
    private final AtomicBoolean childEndsClosed = new AtomicBoolean();
    private final int stdinWrite;
    private final OutputStream stdin;

    private ProcessStdio(int[] childEnds, int stdinWrite, long outputLimit) {
        this.childEnds = childEnds;
        this.stdinWrite = stdinWrite;
        this.stdout = new OutputCapture(outputLimit);
        this.stderr = new OutputCapture(outputLimit);
        this.stdin = stdinWrite < 0 ? null : new StdinStream(stdinWrite);
    }

    /**
     * Opens the pipes (close-on-exec: other launches of this JVM never keep them) and starts the readers.
     *
     * @param openStdin a pipe for stdin ({@link #stdin()}); false: /dev/null
     * @param name      for the reader threads' names
     */
    static ProcessStdio open(boolean openStdin, long outputLimit, String name) {
        int[] in = null;
        int[] out = null;
        int[] err = null;
        try {
            in = openStdin ? Syscalls.pipe2(OpenFlags.O_CLOEXEC)
                    : new int[] {DirectoryCalls.openat(OpenFlags.AT_FDCWD, "/dev/null", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0), -1};
            out = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
            err = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        } catch (SyscallException e) {
            for (int[] pair : new int[][] {in, out, err}) {
                if (pair != null) {
                    closeAll(pair);
                }
            }
            throw ContainerException.launching(e);
        }
        ProcessStdio stdio = new ProcessStdio(new int[] {in[0], out[1], err[1]}, in[1], outputLimit);
        stdio.pump(out[0], stdio.stdout, name + "-stdout");
        stdio.pump(err[0], stdio.stderr, name + "-stderr");
        return stdio;
    }

    int childStdin() {
        return childEnds[0];
    }

    int childStdout() {
        return childEnds[1];
    }

    int childStderr() {
        return childEnds[2];
    }

    /** The pipe to the process's stdin; {@code whose} (e.g. "container ID") names it when it reads /dev/null instead. */
    OutputStream stdin(String whose) {
        if (stdin == null) {
            throw new IllegalStateException(whose + " reads /dev/null: ask for its stdin with openStdin()");
        }
        return stdin;
    }

    /** Whether stdout or stderr wrote more than the output limit (the rest was dropped). */
    boolean truncated() {
        return stdout.dropped() > 0 || stderr.dropped() > 0;
    }

    /**
     * Waits for the process ({@code ended}) to end and then for its output to be complete: a background child of
     * it may still hold the pipes, so that wait is bounded too. False if either is not done within
     * {@code timeout} (plus a second for the output); a process that failed counts as ended (its owner reports it).
     */
    boolean awaitEnd(CompletableFuture<?> ended, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            ended.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            // reported by the owner's exitStatus() and result()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            long left = Math.max(0, deadline - System.nanoTime());
            return stdout.awaitEnd(left + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)
                    && stderr.awaitEnd(TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void pump(int fd, OutputCapture capture, String name) {
        Thread pump = new Thread(() -> {
            try {
                for (byte[] chunk; (chunk = Syscalls.read(fd, 65536)).length > 0; ) {
                    capture.append(chunk);
                }
            } catch (SyscallException e) {
                LOG.log(System.Logger.Level.WARNING, name + ": " + e.getMessage());
            } finally {
                capture.end();
                closeAll(fd);
            }
        }, name);
        pump.setDaemon(true);
        pump.start();
    }

    /** Once the process holds its own copies (or never will): end-of-file then depends on the process alone. */
    void closeChildEnds() {
        if (childEndsClosed.compareAndSet(false, true)) {
            closeAll(childEnds);
        }
    }

    /** Closes this JVM's end of the stdin pipe (the process reads end-of-file); idempotent. */
    void closeStdin() {
        if (stdin != null) {
            try {
                stdin.close();
            } catch (IOException e) {
                // StdinStream.close never fails
            }
        }
    }

    static void closeAll(int... fds) {
        for (int fd : fds) {
            if (fd >= 0) {
                try {
                    Syscalls.close(fd);
                } catch (SyscallException e) {
                    // nothing else holds it: the close itself released it
                }
            }
        }
    }

    /** The write end of the stdin pipe; writes after the process is gone fail with an IOException (EPIPE). */
    private static final class StdinStream extends OutputStream {
        private final int fd;
        private boolean closed;

        StdinStream(int fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            if (closed) {
                throw new IOException("the container's stdin is closed");
            }
            try {
                Syscalls.write(fd, java.util.Arrays.copyOfRange(bytes, offset, offset + length));
            } catch (SyscallException e) {
                throw new IOException(e.errno() == Errno.EPIPE ? "the container's stdin: no process reads it any more (EPIPE)"
                        : "writing the container's stdin: " + e.getMessage(), e);
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                closeAll(fd);
            }
        }
    }
}
