package dev.bulwark.api;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One of a container's output streams as read from its pipe: kept from its first byte up to a limit, so
 * the text is there at the end, and readable as a stream from its first byte by any number of readers
 * meanwhile. Past the limit the pipe is still read (the workload never blocks on it) but the bytes are
 * dropped and counted: a chatty workload cannot exhaust the heap.
 */
final class OutputCapture {
    private final long limit;
    private byte[] bytes = new byte[256];
    private int size;
    private long dropped;
    private boolean ended;

    /** @param limit how many bytes are kept (at most Integer.MAX_VALUE - 8) */
    OutputCapture(long limit) {
        this.limit = Math.min(limit, Integer.MAX_VALUE - 8);
    }

    synchronized void append(byte[] chunk) {
        int kept = (int) Math.max(0, Math.min(chunk.length, limit - size));
        dropped += chunk.length - kept;
        if (kept == 0) {
            return;
        }
        if (size + kept > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(bytes.length * 2L, size + kept)));
        }
        System.arraycopy(chunk, 0, bytes, size, kept);
        size += kept;
        notifyAll();
    }

    /** How many bytes past the limit were read and dropped. */
    synchronized long dropped() {
        return dropped;
    }

    synchronized void end() {
        ended = true;
        notifyAll();
    }

    /** What was kept, then, if anything was dropped, one line saying how much. */
    synchronized String text() {
        String text = new String(bytes, 0, size, StandardCharsets.UTF_8);
        return dropped == 0 ? text : text + "\n[bulwark: output truncated: the first " + size + " bytes kept, "
                + dropped + " more dropped (outputLimit)]\n";
    }

    /** The kept text alone, to search in. */
    private String keptText() {
        return new String(bytes, 0, size, StandardCharsets.UTF_8);
    }

    /** Waits until the pipe's end-of-file (every process holding its write end is gone). */
    synchronized boolean awaitEnd(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (long left; !ended && (left = deadline - System.nanoTime()) > 0; ) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return ended;
    }

    /** Whether the text contains {@code wanted}, waiting up to {@code nanos} for more output (not past the end). */
    synchronized boolean awaitText(String wanted, long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        for (long left; !keptText().contains(wanted); ) {
            if (ended || (left = deadline - System.nanoTime()) <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    InputStream stream() {
        return new InputStream() {
            private int position;

            @Override
            public int read() throws java.io.IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws java.io.IOException {
                if (length == 0) {
                    return 0;
                }
                synchronized (OutputCapture.this) {
                    try {
                        while (position >= size && !ended) {
                            OutputCapture.this.wait();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while waiting for container output");
                    }
                    if (position >= size) {
                        return -1;
                    }
                    int n = Math.min(length, size - position);
                    System.arraycopy(bytes, position, buffer, offset, n);
                    position += n;
                    return n;
                }
            }

            @Override
            public int available() {
                synchronized (OutputCapture.this) {
                    return size - position;
                }
            }
        };
    }
}
