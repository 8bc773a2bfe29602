package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.ConsoleSize;
import dev.bulwark.config.model.User;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.Terminals;
import dev.bulwark.nativ.constants.MountApi;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import java.nio.charset.StandardCharsets;

/**
 * The workload's pseudo-terminal ({@code process.terminal: true}), made by the child after pivot_root
 * from the container's own devpts instance, as runc's contract with engines has it: open /dev/pts/ptmx
 * (openat2, no symlink followed: CVE-2024-21626 / CVE-2025-52565 class), prove it is a pty master (TIOCGPTN)
 * before anything changes its state, unlock it, send the master over the console socket (SCM_RIGHTS, the data "/dev/ptmx" as runc sends),
 * open the peer without a path (TIOCGPTPEER), make it the controlling terminal of a new session and the
 * workload's fds 0-2. The master is first moved to a fixed fd number: the table cannot write a result
 * into the message's control data, but it can name a number known when it is compiled. Reusable by any
 * table that ends in an execve (run, create, exec).
 */
public final class TerminalSteps {
    public static final String FIELD = "process.terminal";
    /** What runc's init sends with the master: its file's name (containerd/console opens /dev/ptmx). */
    public static final String MESSAGE = "/dev/ptmx";
    /**
     * devpts' own ptmx node, not the /dev/ptmx symlink to it (which a container may replace): reached with no
     * symlink at all, the file is a node of the container's tree, whose devpts is the one mounted next to it.
     */
    public static final String PTMX = "/dev/pts/ptmx";
    static final long OPEN_FLAGS = OpenFlags.O_RDWR | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC;
    /**
     * Resolved from the process's root, which is the container's (after pivot_root, or setns of its mount
     * namespace); no symlink followed, magic links (/proc/PID/fd/N, /proc/PID/root) included.
     */
    static final long RESOLVE = MountApi.RESOLVE_NO_SYMLINKS | MountApi.RESOLVE_NO_MAGICLINKS;

    private TerminalSteps() {
    }

    /**
     * @param consoleSocket a connected AF_UNIX stream socket the child holds (closed by these steps)
     * @param masterFd      a free fd number for the master while it is sent (closed by these steps)
     * @param size          process.consoleSize, or null
     * @param user          process.user (owner of the terminal, as runc's fixStdioPermissions makes it), or null
     */
    public static void compile(ChildSteps steps, int consoleSocket, int masterFd, ConsoleSize size, User user) {
        steps.field(FIELD);
        NativeMemory memory = steps.memory();
        long how = memory.allocate(MountApi.OPEN_HOW_SIZE); // struct open_how: flags, mode, resolve
        NativeMemory.putLong(how, OPEN_FLAGS);
        NativeMemory.putLong(how + 16, RESOLVE);
        Entry opened = steps.step("open " + PTMX + " (no symlink followed)", "the container's own devpts instance's ptmx, reached "
                + "from the container's root without following any symlink: a link planted by the container (to the host's "
                + "/dev/ptmx, or through /proc/self/fd to a host file) fails with ELOOP",
                "openat2", OpenFlags.AT_FDCWD, steps.string(PTMX), how, MountApi.OPEN_HOW_SIZE);
        steps.step("check that " + PTMX + " opened a terminal master", "TIOCGPTN succeeds only on a pty master: anything "
                + "else fails (ENOTTY) before any ioctl changes its state", "ioctl", 0, Terminals.TIOCGPTN, memory.allocate(8))
                .argumentFrom(0, opened);
        steps.step("move the master to fd " + masterFd, "the message that sends it names a number fixed in advance",
                "dup3", 0, masterFd, OpenFlags.O_CLOEXEC).argumentFrom(0, opened);
        steps.step("close the first fd of the master", "fd " + masterFd + " holds it", "close", 0).argumentFrom(0, opened);
        long zero = memory.allocate(8);
        steps.step("unlock the terminal's peer", "as unlockpt(3): the peer cannot be opened while locked",
                "ioctl", masterFd, Terminals.TIOCSPTLCK, zero);
        if (size != null && size.height() > 0 && size.width() > 0) {
            long winsize = memory.allocate(8);
            NativeMemory.putBytes(winsize, new byte[] {(byte) size.height(), (byte) (size.height() >> 8),
                    (byte) size.width(), (byte) (size.width() >> 8)});
            steps.field("process.consoleSize");
            steps.step("set the window size to " + size.width() + "x" + size.height(), "process.consoleSize asks for it",
                    "ioctl", masterFd, Terminals.TIOCSWINSZ, winsize);
            steps.field(FIELD);
        }
        Entry peer = steps.step("open the terminal's peer", "by the master (TIOCGPTPEER), no path the rootfs could redirect",
                "ioctl", masterFd, Terminals.TIOCGPTPEER, OpenFlags.O_RDWR | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC);
        if (user != null && (user.uid() != 0 || user.gid() != 0)) {
            steps.field("process.user");
            steps.step("give the terminal to uid " + user.uid() + " gid " + user.gid(), "the workload owns its terminal, as in runc",
                    "fchown", 0, user.uid(), user.gid()).argumentFrom(0, peer);
            steps.field(FIELD);
        }
        long message = sendMessage(memory, masterFd);
        steps.step("send the master over the console socket (fd " + consoleSocket + ")", "the engine (or bulwark run) "
                + "holds the terminal's master; the container never sees the host's", "sendmsg", consoleSocket, message, 0)
                .mustEqual(MESSAGE.length());
        steps.step("close the console socket", "sent", "close", consoleSocket);
        steps.step("start a new session", "the terminal becomes its controlling terminal", "setsid");
        steps.step("make the terminal the controlling terminal", "job control and ^C reach the workload", "ioctl", 0,
                Terminals.TIOCSCTTY, 0).argumentFrom(0, peer);
        for (int fd = 0; fd <= 2; fd++) {
            steps.step("terminal as fd " + fd, "the workload reads and writes its terminal", "dup3", 0, fd, 0)
                    .argumentFrom(0, peer);
        }
        steps.step("close the first fd of the terminal", "fds 0-2 hold it", "close", 0).argumentFrom(0, peer);
        steps.step("close the master", "only the engine holds it now", "close", masterFd);
    }

    /** struct msghdr: one iovec of "/dev/ptmx", one SCM_RIGHTS control message naming {@code masterFd}. */
    private static long sendMessage(NativeMemory memory, int masterFd) {
        long data = memory.bytes(MESSAGE.getBytes(StandardCharsets.US_ASCII), false);
        long iov = memory.allocate(16);
        NativeMemory.putLong(iov, data);
        NativeMemory.putLong(iov + 8, MESSAGE.length());
        long control = memory.allocate(Terminals.CMSG_SPACE_ONE_FD);
        NativeMemory.putLong(control, Terminals.CMSG_LEN_ONE_FD);
        NativeMemory.putInt(control + 8, Terminals.SOL_SOCKET);
        NativeMemory.putInt(control + 12, Terminals.SCM_RIGHTS);
        NativeMemory.putInt(control + 16, masterFd);
        long header = memory.allocate(Terminals.MSGHDR_SIZE);
        NativeMemory.putLong(header + 16, iov);
        NativeMemory.putLong(header + 24, 1);
        NativeMemory.putLong(header + 32, control);
        NativeMemory.putLong(header + 40, Terminals.CMSG_SPACE_ONE_FD);
        return header;
    }
}
