package dev.bulwark.nativ;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Pseudo-terminal calls and the console socket's file-descriptor passing: the ioctls of tty_ioctl(4)
 * and pty(7) as numbers (for the child's syscall table too), thin wrappers for the launcher's side
 * (termios, window size), and AF_UNIX stream sockets that carry one fd (SCM_RIGHTS).
 */
public final class Terminals {
    private static final SyscallNumbers NR = SyscallNumbers.host();
    private static final int SYS_SOCKET = NR.require("socket");
    private static final int SYS_SOCKETPAIR = NR.require("socketpair");
    private static final int SYS_RECVMSG = NR.require("recvmsg");

    /** tcgetattr: struct termios (the kernel's: 4 flag words, c_line, 19 control characters). */
    public static final int TCGETS = 0x5401;
    /** tcsetattr(TCSANOW). */
    public static final int TCSETS = 0x5402;
    public static final int TIOCSCTTY = 0x540E;
    public static final int TIOCGWINSZ = 0x5413;
    public static final int TIOCSWINSZ = 0x5414;
    /** _IOW('T', 0x31, int): lock (non-zero) or unlock (0) the pty's peer. */
    public static final int TIOCSPTLCK = 0x40045431;
    /** _IOR('T', 0x30, unsigned int): the pty's number, N of /dev/pts/N. */
    public static final int TIOCGPTN = 0x80045430;
    /** _IO('T', 0x41): open the peer of a pty master without a path (Linux 4.13). */
    public static final int TIOCGPTPEER = 0x5441;

    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int SOCK_STREAM = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int EBADMSG = 74;
    /** Size of struct msghdr on 64-bit Linux: name, namelen (padded), iov, iovlen, control, controllen, flags (padded). */
    public static final int MSGHDR_SIZE = 56;
    /** CMSG_LEN(sizeof(int)): cmsghdr (len, level, type) and one fd. */
    public static final int CMSG_LEN_ONE_FD = 20;
    /** CMSG_SPACE(sizeof(int)). */
    public static final int CMSG_SPACE_ONE_FD = 24;

    /** Size of the kernel's struct termios on x86-64 and aarch64. */
    private static final int TERMIOS_SIZE = 36;
    private static final int IGNBRK = 0x1, BRKINT = 0x2, PARMRK = 0x8, ISTRIP = 0x20, INLCR = 0x40, IGNCR = 0x80,
            ICRNL = 0x100, IXON = 0x400;
    private static final int OPOST = 0x1;
    private static final int CSIZE = 0x30, CS8 = 0x30, PARENB = 0x100;
    private static final int ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, ECHONL = 0x40, IEXTEN = 0x8000;
    private static final int VTIME = 5, VMIN = 6;
    private static final int CC_OFFSET = 17;

    private Terminals() {
    }

    /** Whether {@code fd} is a terminal (tcgetattr succeeds). */
    public static boolean isTerminal(int fd) {
        try (NativeMemory memory = new NativeMemory()) {
            return !Kernel.isError(Kernel.raw(NR.require("ioctl"), fd, TCGETS, memory.allocate(64), 0, 0));
        }
    }

    /** tcgetattr: the terminal's settings, to give back to {@link #setAttributes} unchanged. */
    public static byte[] attributes(int fd) {
        try (NativeMemory memory = new NativeMemory()) {
            long termios = memory.allocate(64);
            check(Kernel.raw(NR.require("ioctl"), fd, TCGETS, termios, 0, 0), "ioctl", fd, "TCGETS");
            return NativeMemory.getBytes(termios, TERMIOS_SIZE);
        }
    }

    /** tcsetattr(TCSANOW). */
    public static void setAttributes(int fd, byte[] termios) {
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.allocate(64);
            NativeMemory.putBytes(buffer, termios);
            check(Kernel.raw(NR.require("ioctl"), fd, TCSETS, buffer, 0, 0), "ioctl", fd, "TCSETS");
        }
    }

    /** cfmakeraw(3) of {@code termios}: no echo, no line editing, no signals from keys, 8-bit bytes through. */
    public static byte[] raw(byte[] termios) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(termios.clone()).order(java.nio.ByteOrder.nativeOrder());
        b.putInt(0, b.getInt(0) & ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON));
        b.putInt(4, b.getInt(4) & ~OPOST);
        b.putInt(8, (b.getInt(8) & ~(CSIZE | PARENB)) | CS8);
        b.putInt(12, b.getInt(12) & ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN));
        b.put(CC_OFFSET + VMIN, (byte) 1);
        b.put(CC_OFFSET + VTIME, (byte) 0);
        return b.array();
    }

    /** TIOCGWINSZ: struct winsize as 8 bytes (rows, columns, then two unused pixel counts). */
    public static byte[] windowSize(int fd) {
        try (NativeMemory memory = new NativeMemory()) {
            long size = memory.allocate(8);
            check(Kernel.raw(NR.require("ioctl"), fd, TIOCGWINSZ, size, 0, 0), "ioctl", fd, "TIOCGWINSZ");
            return NativeMemory.getBytes(size, 8);
        }
    }

    /** TIOCSWINSZ with 8 bytes from {@link #windowSize}: the foreground process group gets SIGWINCH. */
    public static void setWindowSize(int fd, byte[] size) {
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.bytes(size, false);
            check(Kernel.raw(NR.require("ioctl"), fd, TIOCSWINSZ, buffer, 0, 0), "ioctl", fd, "TIOCSWINSZ");
        }
    }

    /** socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), as a console socket's client end. */
    public static int streamSocket() {
        return (int) check(Kernel.raw(SYS_SOCKET, UnixSockets.AF_UNIX, SOCK_STREAM | UnixSockets.SOCK_CLOEXEC, 0, 0, 0),
                "socket", "AF_UNIX", "SOCK_STREAM|SOCK_CLOEXEC", 0);
    }

    /** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): two connected ends. */
    public static int[] streamPair() {
        try (NativeMemory memory = new NativeMemory()) {
            long fds = memory.allocate(8);
            check(Kernel.raw(SYS_SOCKETPAIR, UnixSockets.AF_UNIX, SOCK_STREAM | UnixSockets.SOCK_CLOEXEC, 0, fds, 0),
                    "socketpair", "AF_UNIX", "SOCK_STREAM|SOCK_CLOEXEC", 0, "[fds]");
            return new int[] {NativeMemory.getInt(fds), NativeMemory.getInt(fds + 4)};
        }
    }

    /** One message and the fd it carried (SCM_RIGHTS), received close-on-exec. */
    public record ReceivedFd(String name, int fd) {
    }

    /**
     * recvmsg for one message with one fd (as runc's console socket carries the pty master, its name as the
     * data); retries EINTR. Throws when the peer closed without sending one (the child failed first).
     */
    public static ReceivedFd receiveFd(int socket) {
        try (NativeMemory memory = new NativeMemory()) {
            int max = 4096;
            long buffer = memory.allocate(max);
            long iov = memory.allocate(16);
            NativeMemory.putLong(iov, buffer);
            NativeMemory.putLong(iov + 8, max);
            long control = memory.allocate(64);
            long header = memory.allocate(MSGHDR_SIZE);
            NativeMemory.putLong(header + 16, iov);
            NativeMemory.putLong(header + 24, 1);
            NativeMemory.putLong(header + 32, control);
            NativeMemory.putLong(header + 40, 64);
            long count;
            do {
                count = Kernel.raw(SYS_RECVMSG, socket, header, MSG_CMSG_CLOEXEC, 0, 0);
            } while (count == -Errno.EINTR);
            check(count, "recvmsg", socket);
            long controlLength = NativeMemory.getLong(header + 40);
            if (controlLength < CMSG_LEN_ONE_FD || NativeMemory.getInt(control + 8) != SOL_SOCKET
                    || NativeMemory.getInt(control + 12) != SCM_RIGHTS) {
                throw new SyscallException("recvmsg", List.of(String.valueOf(socket), "no fd received (" + count + " bytes)"),
                        EBADMSG);
            }
            String name = new String(NativeMemory.getBytes(buffer, (int) count), StandardCharsets.UTF_8);
            return new ReceivedFd(name, NativeMemory.getInt(control + 16));
        }
    }

    private static long check(long result, String operation, Object... arguments) {
        if (Kernel.isError(result)) {
            throw new SyscallException(operation, List.of(Arrays.stream(arguments).map(String::valueOf).toArray(String[]::new)),
                    (int) -result);
        }
        return result;
    }
}
