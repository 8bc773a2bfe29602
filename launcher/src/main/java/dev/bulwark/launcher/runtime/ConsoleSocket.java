package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.ConsoleSize;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.Terminals;
import dev.bulwark.nativ.UnixSockets;

import java.nio.file.Path;
import java.util.List;

/**
 * The socket a container's init sends its terminal's master over (process.terminal): for {@code create},
 * the engine's {@code --console-socket}, connected by the launcher before clone as runc does, so the init
 * inherits a connected fd and never looks the path up inside the container; for a foreground {@code run},
 * one end of the launcher's own socket pair, whose other end receives the master for a {@link TerminalRelay}.
 *
 * @param childEnd    the fd the child sends on (the launcher closes its copy once the child has it)
 * @param launcherEnd the end that receives the master ({@code run}), or -1 ({@code create}: the engine receives it)
 */
record ConsoleSocket(int childEnd, int launcherEnd) {
    /** runc's checks of process.terminal against the console socket: one line, before anything is made. */
    static void check(Spec spec, RunRequest request) {
        check(Boolean.TRUE.equals(spec.process().terminal()), request.create() != null,
                request.create() == null ? null : request.create().consoleSocket());
    }

    /** The same checks for any process that gets a terminal (create's init, exec's process). */
    static void check(boolean terminal, boolean detached, Path socket) {
        if (detached && terminal && socket == null) {
            throw new LaunchException("--console-socket: cannot allocate tty if runc will detach without setting console "
                    + "socket (process.terminal is true)");
        }
        if (socket != null && (!terminal || !detached)) {
            throw new LaunchException("--console-socket: cannot use console socket if runc will not detach or allocate tty "
                    + (terminal ? "(without --detach)" : "(process.terminal is false)"));
        }
        if (socket != null && !UnixSockets.fits(socket.toAbsolutePath().toString())) {
            throw new LaunchException("--console-socket: " + socket + " is longer than a unix socket address (107 bytes)");
        }
    }

    /**
     * A foreground run without process.consoleSize takes the launcher's window size: the child sets it
     * before execve, so the workload's first look (stty size) already sees it; SIGWINCH updates it later.
     */
    static Spec withLauncherSize(Spec spec, RunRequest request) {
        return request.create() != null ? spec : withCallerSize(spec);
    }

    /** As {@link #withLauncherSize}, for any process whose terminal the launcher relays (run, exec --tty). */
    static Spec withCallerSize(Spec spec) {
        Process process = spec.process();
        if (!Boolean.TRUE.equals(process.terminal()) || process.consoleSize() != null) {
            return spec;
        }
        int terminal = Terminals.isTerminal(0) ? 0 : Terminals.isTerminal(1) ? 1 : -1;
        if (terminal < 0) {
            return spec;
        }
        java.nio.ByteBuffer size = java.nio.ByteBuffer.wrap(Terminals.windowSize(terminal)).order(java.nio.ByteOrder.nativeOrder());
        int rows = Short.toUnsignedInt(size.getShort(0));
        int columns = Short.toUnsignedInt(size.getShort(2));
        return rows == 0 || columns == 0 ? spec : spec.withProcess(new Process(process.terminal(), new ConsoleSize(rows, columns),
                process.user(), process.args(), process.commandLine(), process.env(), process.cwd(), process.capabilities(),
                process.rlimits(), process.noNewPrivileges(), process.apparmorProfile(), process.oomScoreAdj(),
                process.scheduler(), process.selinuxLabel(), process.ioPriority()));
    }

    /** The socket for this launch (its fds added to {@code fds}, which the launch closes), or null without a terminal. */
    static ConsoleSocket open(Spec spec, RunRequest request, List<Integer> fds) {
        if (!Boolean.TRUE.equals(spec.process().terminal())) {
            return null;
        }
        return open(request.create() == null ? null : request.create().consoleSocket(), fds);
    }

    /**
     * A terminal's socket: connected to {@code consoleSocket} (the engine receives the master), or without one a
     * socket pair whose launcher end receives it for a {@link TerminalRelay}. Its fds are added to {@code fds}.
     */
    static ConsoleSocket open(Path consoleSocket, List<Integer> fds) {
        if (consoleSocket != null) {
            Path path = consoleSocket.toAbsolutePath();
            int socket = Terminals.streamSocket();
            fds.add(socket);
            try {
                UnixSockets.connect(socket, path.toString());
            } catch (SyscallException e) {
                throw new LaunchException("--console-socket: cannot connect to " + path + ": " + reason(e.errno()), e);
            }
            return new ConsoleSocket(socket, -1);
        }
        int[] pair = Terminals.streamPair();
        fds.add(pair[0]);
        fds.add(pair[1]);
        return new ConsoleSocket(pair[1], pair[0]);
    }

    /** run: the master the child sent (after its execve, so it is there); the relay owns it from here. */
    TerminalRelay relay(SignalForwarding signals) {
        return relay(receiveMaster(), signals);
    }

    /** The master the child sent, once it exec'd; the caller owns it. */
    int receiveMaster() {
        return Terminals.receiveFd(launcherEnd).fd();
    }

    /** Relays the launcher's stdin and stdout to {@code master}, which the relay owns from here. */
    static TerminalRelay relay(int master, SignalForwarding signals) {
        try {
            return TerminalRelay.start(master, 0, 1, signals);
        } catch (RuntimeException e) {
            Syscalls.close(master);
            throw e;
        }
    }

    private static String reason(int errno) {
        return switch (errno) {
            case Errno.ENOENT -> "it does not exist";
            case 111 -> "not a listening unix socket (ECONNREFUSED)";
            case Errno.EACCES -> "permission denied";
            default -> Errno.describe(errno);
        };
    }
}
