package dev.bulwark.nativ;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * AF_UNIX datagram sockets and descriptor checks the launcher needs from the JVM (JDK 17 has no unix
 * datagram channel): the sd_notify relay and the check of fds passed on to a container.
 */
public final class UnixSockets {
    private static final SyscallNumbers NR = SyscallNumbers.host();
    private static final int SYS_SOCKET = NR.require("socket");
    private static final int SYS_BIND = NR.require("bind");
    private static final int SYS_CONNECT = NR.require("connect");
    private static final int SYS_FCNTL = NR.require("fcntl");
    private static final int SYS_PPOLL = NR.require("ppoll");

    public static final int AF_UNIX = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = 02000000;
    /** sizeof(struct sockaddr_un): sun_family (2 bytes) and sun_path (108). */
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final int SUN_PATH_MAX = 108;
    private static final int F_GETFD = 1;
    private static final int FD_CLOEXEC = 1;
    private static final short POLLIN = 1;

    private UnixSockets() {
    }

    /** socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0). */
    public static int datagramSocket() {
        return (int) check(Kernel.raw(SYS_SOCKET, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0), "socket", "AF_UNIX",
                "SOCK_DGRAM|SOCK_CLOEXEC", 0);
    }

    /** bind(fd, address): a path, or an abstract name written with a leading '@' (as NOTIFY_SOCKET does). */
    public static void bind(int fd, String address) {
        try (NativeMemory memory = new NativeMemory()) {
            long sockaddr = memory.allocate(SOCKADDR_UN_SIZE);
            int length = fill(sockaddr, address);
            check(Kernel.raw(SYS_BIND, fd, sockaddr, length, 0, 0), "bind", fd, '"' + address + '"');
        }
    }

    /** connect(fd, address): a path, or an abstract name written with a leading '@'. */
    public static void connect(int fd, String address) {
        try (NativeMemory memory = new NativeMemory()) {
            long sockaddr = memory.allocate(SOCKADDR_UN_SIZE);
            int length = fill(sockaddr, address);
            long result;
            do {
                result = Kernel.raw(SYS_CONNECT, fd, sockaddr, length, 0, 0);
            } while (result == -Errno.EINTR);
            check(result, "connect", fd, '"' + address + '"');
        }
    }

    /** Whether the address fits a sockaddr_un (108 bytes of path, NUL included for a path). */
    public static boolean fits(String address) {
        int bytes = address.getBytes(StandardCharsets.UTF_8).length;
        return address.startsWith("@") ? bytes <= SUN_PATH_MAX : bytes < SUN_PATH_MAX;
    }

    /** Whether {@code fd} is an open descriptor of this process (fcntl F_GETFD). */
    public static boolean isOpen(int fd) {
        long result = Kernel.raw(SYS_FCNTL, fd, F_GETFD, 0, 0, 0);
        if (result == -Errno.EBADF) {
            return false;
        }
        check(result, "fcntl", fd, "F_GETFD");
        return true;
    }

    /** Whether the open descriptor {@code fd} is close-on-exec (FD_CLOEXEC). */
    public static boolean isCloseOnExec(int fd) {
        return (check(Kernel.raw(SYS_FCNTL, fd, F_GETFD, 0, 0, 0), "fcntl", fd, "F_GETFD") & FD_CLOEXEC) != 0;
    }

    /**
     * Waits until one of {@code fds} is readable (or hung up); retries EINTR. Returns its index in
     * {@code fds}, the lowest one when several are.
     */
    public static int awaitReadable(int... fds) {
        try (NativeMemory memory = new NativeMemory()) {
            long pollfds = memory.allocate(8L * fds.length); // struct pollfd {int fd; short events; short revents}
            while (true) {
                for (int i = 0; i < fds.length; i++) {
                    NativeMemory.putInt(pollfds + 8L * i, fds[i]);
                    NativeMemory.putInt(pollfds + 8L * i + 4, POLLIN); // events POLLIN, revents 0
                }
                long result = Kernel.raw(SYS_PPOLL, pollfds, fds.length, 0, 0, 8);
                if (result == -Errno.EINTR) {
                    continue;
                }
                check(result, "ppoll", Arrays.toString(fds));
                for (int i = 0; i < fds.length; i++) {
                    if ((NativeMemory.getInt(pollfds + 8L * i + 4) >>> 16) != 0) {
                        return i;
                    }
                }
            }
        }
    }

    private static int fill(long sockaddr, String address) {
        if (!fits(address)) {
            throw new IllegalArgumentException("unix socket address longer than " + SUN_PATH_MAX + " bytes: " + address);
        }
        byte[] path = address.getBytes(StandardCharsets.UTF_8);
        if (address.startsWith("@")) {
            path[0] = 0; // abstract namespace: a leading NUL, and the length says where the name ends
        }
        NativeMemory.putBytes(sockaddr, new byte[] {(byte) AF_UNIX, 0});
        NativeMemory.putBytes(sockaddr + 2, path);
        return address.startsWith("@") ? 2 + path.length : 2 + path.length + 1;
    }

    private static long check(long result, String operation, Object... arguments) {
        if (Kernel.isError(result)) {
            throw new SyscallException(operation, List.of(Arrays.stream(arguments).map(String::valueOf).toArray(String[]::new)),
                    (int) -result);
        }
        return result;
    }
}
