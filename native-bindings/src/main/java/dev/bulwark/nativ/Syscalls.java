package dev.bulwark.nativ;

import java.util.Arrays;
import java.util.List;

/**
 * Typed wrappers for the syscalls the launcher makes from the JVM itself. Each returns the useful
 * result or throws {@link SyscallException} naming the call, its arguments and the errno.
 */
public final class Syscalls {
    private static final SyscallNumbers NR = SyscallNumbers.host();
    private static final int SYS_READ = NR.require("read");
    private static final int SYS_WRITE = NR.require("write");
    private static final int SYS_CLOSE = NR.require("close");
    private static final int SYS_PIPE2 = NR.require("pipe2");
    private static final int SYS_WAIT4 = NR.require("wait4");
    private static final int SYS_KILL = NR.require("kill");
    private static final int SYS_PIDFD_SEND_SIGNAL = NR.require("pidfd_send_signal");
    private static final int SYS_PRCTL = NR.require("prctl");
    private static final int SYS_IOCTL = NR.require("ioctl");
    private static final int SYS_GETUID = NR.require("getuid");
    private static final int SYS_GETGID = NR.require("getgid");
    private static final int SYS_GETEUID = NR.require("geteuid");
    private static final int SYS_GETEGID = NR.require("getegid");
    private static final int SYS_GETPID = NR.require("getpid");
    private static final int SYS_STATFS = NR.require("statfs");
    private static final int SYS_RT_SIGPROCMASK = NR.require("rt_sigprocmask");
    private static final int SYS_PPOLL = NR.require("ppoll");
    private static final int SYS_MADVISE = NR.require("madvise");
    private static final int SYS_FUTEX = NR.require("futex");
    private static final int FUTEX_WAIT_PRIVATE = 128;

    /**
     * struct statfs is 120 bytes on 64-bit Linux; f_flags is its 11th long (after f_type, f_bsize,
     * f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen, f_frsize), at byte 80.
     */
    private static final int STATFS_SIZE = 120;
    private static final int STATFS_F_FLAGS = 80;
    public static final int SIG_SETMASK = 2;
    public static final int WNOHANG = 1;
    /** madvise: drop the range's pages from this process (a private file mapping's clean pages are read again on use). */
    public static final int MADV_DONTNEED = 4;

    private Syscalls() {
    }

    private static long check(long result, String operation, Object... arguments) {
        if (Kernel.isError(result)) {
            List<String> shown = Arrays.stream(arguments).map(Syscalls::show).toList();
            throw new SyscallException(operation, shown, (int) -result);
        }
        return result;
    }

    private static String show(Object argument) {
        if (argument instanceof String s) {
            return '"' + s + '"';
        }
        if (argument instanceof Long l && Math.abs(l) > 4096) {
            return "0x" + Long.toHexString(l);
        }
        return String.valueOf(argument);
    }

    /** pipe2(flags): {read end, write end}. */
    public static int[] pipe2(int flags) {
        try (NativeMemory memory = new NativeMemory()) {
            long fds = memory.allocate(8);
            check(Kernel.raw(SYS_PIPE2, fds, flags, 0, 0, 0), "pipe2", "[fds]", flags);
            return new int[] {NativeMemory.getInt(fds), NativeMemory.getInt(fds + 4)};
        }
    }

    public static void close(int fd) {
        check(Kernel.raw(SYS_CLOSE, fd, 0, 0, 0, 0), "close", fd);
    }

    /** Reads up to {@code length} bytes; an empty array means end of file. Retries EINTR. */
    public static byte[] read(int fd, int length) {
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.allocate(length);
            long count;
            do {
                count = Kernel.raw(SYS_READ, fd, buffer, length, 0, 0);
            } while (count == -Errno.EINTR);
            check(count, "read", fd, "[buffer]", length);
            return NativeMemory.getBytes(buffer, (int) count);
        }
    }

    /** Writes all of {@code data}, retrying short writes and EINTR. */
    public static void write(int fd, byte[] data) {
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.bytes(data, false);
            long done = 0;
            while (done < data.length) {
                long count = Kernel.raw(SYS_WRITE, fd, buffer + done, data.length - done, 0, 0);
                if (count == -Errno.EINTR) {
                    continue;
                }
                done += check(count, "write", fd, "[" + data.length + " bytes]", data.length - done);
            }
        }
    }

    /** wait4(pid, options); retries EINTR. With WNOHANG, returns null when the child has not changed state. */
    public static WaitStatus wait4(int pid, int options) {
        try (NativeMemory memory = new NativeMemory()) {
            long status = memory.allocate(8);
            long result;
            do {
                result = Kernel.raw(SYS_WAIT4, pid, status, options, 0, 0);
            } while (result == -Errno.EINTR);
            check(result, "wait4", pid, "[status]", options);
            return result == 0 ? null : new WaitStatus((int) result, NativeMemory.getInt(status));
        }
    }

    /**
     * Waits until {@code fd} is readable (for a pidfd: its process has exited) or {@code timeoutMillis}
     * pass; retries EINTR with the time left. True when readable, false on timeout.
     */
    public static boolean pollReadable(int fd, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        try (NativeMemory memory = new NativeMemory()) {
            long pollfd = memory.allocate(8); // struct pollfd {int fd; short events; short revents}
            long timespec = memory.allocate(16);
            while (true) {
                long left = Math.max(0, deadline - System.nanoTime());
                NativeMemory.putInt(pollfd, fd);
                NativeMemory.putInt(pollfd + 4, 1); // events POLLIN, revents 0
                NativeMemory.putLong(timespec, left / 1_000_000_000L);
                NativeMemory.putLong(timespec + 8, left % 1_000_000_000L);
                long result = Kernel.raw(SYS_PPOLL, pollfd, 1, timespec, 0, 8);
                if (result == -Errno.EINTR) {
                    continue;
                }
                return check(result, "ppoll", fd, timeoutMillis) > 0;
            }
        }
    }

    /**
     * futex(address, FUTEX_WAIT_PRIVATE, expected, timeout): sleeps while the int at {@code address} (this
     * process's own memory) holds {@code expected}, until a FUTEX_WAKE on it, a signal or {@code timeoutNanos}.
     * Returns normally in each of these cases and when the value already differs (EAGAIN): the caller reads
     * the value again. Any other failure throws.
     */
    public static void futexWait(long address, int expected, long timeoutNanos) {
        try (NativeMemory memory = new NativeMemory()) {
            long timespec = memory.allocate(16);
            NativeMemory.putLong(timespec, timeoutNanos / 1_000_000_000L);
            NativeMemory.putLong(timespec + 8, timeoutNanos % 1_000_000_000L);
            long result = Kernel.raw(SYS_FUTEX, address, FUTEX_WAIT_PRIVATE, expected, timespec, 0);
            if (result != -Errno.EAGAIN && result != -Errno.ETIMEDOUT && result != -Errno.EINTR) {
                check(result, "futex", address, "FUTEX_WAIT_PRIVATE", expected, timeoutNanos);
            }
        }
    }

    /** madvise(address, length, advice) on this process's own memory. */
    public static void madvise(long address, long length, int advice) {
        check(Kernel.raw(SYS_MADVISE, address, length, advice, 0, 0), "madvise", address, length, advice);
    }

    public static void kill(int pid, int signal) {
        check(Kernel.raw(SYS_KILL, pid, signal, 0, 0, 0), "kill", pid, signal);
    }

    /** Signals the process behind {@code pidfd}: immune to pid reuse, unlike kill(2). */
    public static void pidfdSendSignal(int pidfd, int signal) {
        check(Kernel.raw(SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0, 0), "pidfd_send_signal", pidfd, signal);
    }

    /** ioctl(fd, request, arg) for requests whose argument is a plain number (or none): the result. */
    public static long ioctl(int fd, long request, long arg) {
        return check(Kernel.raw(SYS_IOCTL, fd, request, arg, 0, 0), "ioctl", fd, request, arg);
    }

    public static long prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        return check(Kernel.raw(SYS_PRCTL, option, arg2, arg3, arg4, arg5), "prctl", option, arg2, arg3, arg4, arg5);
    }

    public static int getuid() {
        return (int) Kernel.raw(SYS_GETUID, 0, 0, 0, 0, 0);
    }

    public static int getgid() {
        return (int) Kernel.raw(SYS_GETGID, 0, 0, 0, 0, 0);
    }

    public static int geteuid() {
        return (int) Kernel.raw(SYS_GETEUID, 0, 0, 0, 0, 0);
    }

    public static int getegid() {
        return (int) Kernel.raw(SYS_GETEGID, 0, 0, 0, 0, 0);
    }

    public static int getpid() {
        return (int) Kernel.raw(SYS_GETPID, 0, 0, 0, 0, 0);
    }

    /** statfs(path).f_flags: the ST_* flags of the mount holding {@code path}. */
    public static long statfsFlags(String path) {
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.allocate(STATFS_SIZE);
            check(Kernel.raw(SYS_STATFS, memory.cString(path), buffer, 0, 0, 0), "statfs", path, "[buf]");
            return NativeMemory.getLong(buffer + STATFS_F_FLAGS);
        }
    }

    /** rt_sigprocmask(how, set, old): returns the previous mask of the calling thread. */
    public static long sigprocmask(int how, long mask) {
        try (NativeMemory memory = new NativeMemory()) {
            long set = memory.allocate(8);
            long old = memory.allocate(8);
            NativeMemory.putLong(set, mask);
            check(Kernel.raw(SYS_RT_SIGPROCMASK, how, set, old, 8, 0), "rt_sigprocmask", how, mask, "[old]", 8);
            return NativeMemory.getLong(old);
        }
    }

    /** A wait status as the kernel encodes it. */
    public record WaitStatus(int pid, int raw) {
        public boolean exited() {
            return (raw & 0x7f) == 0;
        }

        public int exitCode() {
            return (raw >> 8) & 0xff;
        }


        public int termSignal() {
            return raw & 0x7f;
        }


        /** The shell's convention: the exit code, or 128 + the signal that killed it. */
        public int shellStatus() {
            return exited() ? exitCode() : 128 + termSignal();
        }
    }
}
