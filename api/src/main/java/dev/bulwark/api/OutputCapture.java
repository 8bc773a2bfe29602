package dev.bulwark.api;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One of a container's output streams as read from its pipe: kept whole, so the text is there at the
 * end, and readable as a stream from its first byte by any number of readers meanwhile.
 */
final class OutputCapture {
    private byte[] bytes = new byte[256];
    private int size;
    private boolean ended;

    synchronized void append(byte[] chunk) {
        if (size + chunk.length > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + chunk.length));
        }
        System.arraycopy(chunk, 0, bytes, size, chunk.length);
        size += chunk.length;
        notifyAll();
    }

    synchronized void end() {
        ended = true;
        notifyAll();
    }

    synchronized String text() {
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
        for (long left; !text().contains(wanted); ) {
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
