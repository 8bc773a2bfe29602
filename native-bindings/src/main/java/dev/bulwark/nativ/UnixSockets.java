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
    private static final int SYS_SETSOCKOPT = NR.require("setsockopt");
    private static final int SYS_RECVMSG = NR.require("recvmsg");
    private static final int SOL_SOCKET = 1;
    private static final int SO_PASSCRED = 16;
    private static final int SCM_CREDENTIALS = 2;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** CMSG_SPACE(sizeof(struct ucred)): room for the credentials only, so fds sent along (SCM_RIGHTS) are discarded. */
    private static final int CREDENTIALS_SPACE = 32;

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

    /**
     * One datagram with its sender's credentials as the kernel vouches for them (SCM_CREDENTIALS, in this
     * process's namespaces); uid -1 when none came (the socket lacks SO_PASSCRED).
     */
    public record Datagram(byte[] data, int pid, int uid, int gid) {
    }

    /** setsockopt(fd, SOL_SOCKET, SO_PASSCRED, 1): every datagram received carries its sender's credentials. */
    public static void passCredentials(int fd) {
        try (NativeMemory memory = new NativeMemory()) {
            long one = memory.allocate(4);
            NativeMemory.putInt(one, 1);
            check(Kernel.raw(SYS_SETSOCKOPT, fd, SOL_SOCKET, SO_PASSCRED, one, 4), "setsockopt", fd, "SOL_SOCKET",
                    "SO_PASSCRED", 1);
        }
    }

    /**
     * recvmsg: one datagram of up to {@code max} bytes (longer ones are truncated) and its credentials;
     * fds sent with it do not fit the control buffer, and the kernel closes them. Retries EINTR.
     */
    public static Datagram receive(int fd, int max) {
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.allocate(max);
            long iov = memory.allocate(16);
            NativeMemory.putLong(iov, buffer);
            NativeMemory.putLong(iov + 8, max);
            long control = memory.allocate(CREDENTIALS_SPACE);
            long header = memory.allocate(56); // struct msghdr: name, namelen, iov, iovlen, control, controllen, flags
            NativeMemory.putLong(header + 16, iov);
            NativeMemory.putLong(header + 24, 1);
            NativeMemory.putLong(header + 32, control);
            NativeMemory.putLong(header + 40, CREDENTIALS_SPACE);
            long count;
            do {
                count = Kernel.raw(SYS_RECVMSG, fd, header, MSG_CMSG_CLOEXEC, 0, 0);
            } while (count == -Errno.EINTR);
            check(count, "recvmsg", fd);
            int pid = 0;
            int uid = -1;
            int gid = -1;
            long controlLength = NativeMemory.getLong(header + 40);
            if (controlLength >= 28 && NativeMemory.getInt(control + 8) == SOL_SOCKET
                    && NativeMemory.getInt(control + 12) == SCM_CREDENTIALS) { // cmsghdr: len (8), level, type; then ucred
                pid = NativeMemory.getInt(control + 16);
                uid = NativeMemory.getInt(control + 20);
                gid = NativeMemory.getInt(control + 24);
            }
            return new Datagram(NativeMemory.getBytes(buffer, (int) Math.min(count, max)), pid, uid, gid);
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
