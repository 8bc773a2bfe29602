package dev.bulwark.launcher.runtime;

import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.Terminals;
import dev.bulwark.nativ.UnixSockets;
import dev.bulwark.nativ.constants.OpenFlags;

import java.time.Duration;

/**
 * The launcher's side of a workload's terminal ({@code run} with process.terminal): copies the launcher's
 * stdin to the pty master and the master to the launcher's stdout, puts the launcher's own terminal in raw
 * mode meanwhile (keys such as ^C reach the container's terminal, which turns them into signals), passes
 * its window size on at start and on SIGWINCH, and restores the terminal when closed. Reusable for any
 * foreground process with a terminal (exec --tty).
 */
public final class TerminalRelay implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private static final int CHUNK = 8192;
    /** VEOF in canonical mode: stdin that is not a terminal ended, so the workload reads end-of-file too. */
    private static final byte END_OF_FILE = 4;

    private final int master;
    private final int input;
    private final int output;
    private final int[] stop;
    private final byte[] savedAttributes;
    private final SignalForwarding signals;
    private final Runnable resize;
    private final Thread toTerminal;
    private final Thread fromTerminal;

    private TerminalRelay(int master, int input, int output, SignalForwarding signals) {
        this.master = master;
        this.input = input;
        this.output = output;
        this.signals = signals;
        this.stop = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int sized = Terminals.isTerminal(input) ? input : Terminals.isTerminal(output) ? output : -1;
        this.resize = sized < 0 ? null : () -> copyWindowSize(sized);
        this.savedAttributes = Terminals.isTerminal(input) ? Terminals.attributes(input) : null;
        this.toTerminal = new Thread(this::copyInput, "bulwark-terminal-in");
        this.fromTerminal = new Thread(this::copyOutput, "bulwark-terminal-out");
    }

    /**
     * Starts relaying. {@code master} becomes the relay's (closed by {@link #close}).
     *
     * @param signals the process's signal handling, for SIGWINCH; null passes the size at start only
     */
    public static TerminalRelay start(int master, int input, int output, SignalForwarding signals) {
        TerminalRelay relay = new TerminalRelay(master, input, output, signals);
        if (relay.resize != null) {
            relay.resize.run();
            if (signals != null) {
                signals.onWindowChange(relay.resize);
            }
        }
        if (relay.savedAttributes != null) {
            Terminals.setAttributes(input, Terminals.raw(relay.savedAttributes));
        }
        relay.toTerminal.setDaemon(true);
        relay.fromTerminal.setDaemon(true);
        relay.toTerminal.start();
        relay.fromTerminal.start();
        return relay;
    }

    /** The caller's terminal changed size (SIGWINCH, for a caller that handles it itself): passes the size on. */
    public void windowChanged() {
        if (resize != null) {
            resize.run();
        }
    }

    /**
     * After the workload ended: its last output is copied (until the master reports that no process holds
     * the terminal any more, or {@code drain} passes), then the relay stops.
     */
    public void finish(Duration drain) {
        join(fromTerminal, drain);
    }

    /** Stops both copies, restores the launcher's terminal and closes the master. */
    @Override
    public void close() {
        if (signals != null && resize != null) {
            signals.removeWindowChange(resize);
        }
        try {
            Syscalls.write(stop[1], new byte[] {1});
            join(fromTerminal, Duration.ofSeconds(1));
            join(toTerminal, Duration.ofSeconds(1));
        } finally {
            if (savedAttributes != null) {
                try {
                    Terminals.setAttributes(input, savedAttributes);
                } catch (SyscallException e) {
                    LOG.log(System.Logger.Level.WARNING, "restoring the terminal's settings failed: " + e.getMessage());
                }
            }
            if (!toTerminal.isAlive() && !fromTerminal.isAlive()) {
                Syscalls.close(master);
                Syscalls.close(stop[0]);
                Syscalls.close(stop[1]);
            } // else a copy is stuck in a write (a workload that never reads): its fds must not be reused under it
        }
    }

    private void copyWindowSize(int from) {
        try {
            Terminals.setWindowSize(master, Terminals.windowSize(from));
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.DEBUG, "window size not passed on: " + e.getMessage());
        }
    }

    private void copyInput() {
        try {
            while (UnixSockets.awaitReadable(stop[0], input) == 1) {
                byte[] data = Syscalls.read(input, CHUNK);
                if (data.length == 0) {
                    if (savedAttributes == null) {
                        Syscalls.write(master, new byte[] {END_OF_FILE});
                    }
                    return;
                }
                Syscalls.write(master, data);
            }
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.DEBUG, "terminal input relay ended: " + e.getMessage());
        }
    }

    private void copyOutput() {
        try {
            while (UnixSockets.awaitReadable(stop[0], master) == 1) {
                byte[] data = Syscalls.read(master, CHUNK);
                if (data.length == 0) {
                    return;
                }
                Syscalls.write(output, data);
            }
        } catch (SyscallException e) {
            if (e.errno() != Errno.EIO) { // EIO: no process holds the terminal any more
                LOG.log(System.Logger.Level.DEBUG, "terminal output relay ended: " + e.getMessage());
            }
        }
    }

    private static void join(Thread thread, Duration timeout) {
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
