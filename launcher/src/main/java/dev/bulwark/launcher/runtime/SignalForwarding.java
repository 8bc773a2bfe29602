package dev.bulwark.launcher.runtime;

import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.signal.SignalRelay;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 received by the launcher to every
 * container it is running, through their pidfds (never a recycled pid). Opt-in and process-wide:
 * the CLI enables it; a JVM embedding Bulwark (a test harness) keeps its own signal handling.
 */
public final class SignalForwarding {
    public static final List<Integer> FORWARDED = List.of(Signals.SIGINT, Signals.SIGTERM, Signals.SIGHUP,
            Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2);

    private static final Set<Integer> TARGETS = ConcurrentHashMap.newKeySet();
    /** Signals that arrived while no container was running yet (during a launch): delivered on register. */
    private static final java.util.Queue<Integer> PENDING = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static volatile boolean installed;

    private SignalForwarding() {
    }

    public static synchronized void enable() {
        if (!installed) {
            SignalRelay.install(FORWARDED, SignalForwarding::forward);
            installed = true;
        }
    }

    /** Stops forwarding; the CLI calls it before exiting (see {@link SignalRelay#stop()}). */
    public static synchronized void disable() {
        if (installed) {
            SignalRelay.stop();
            installed = false;
        }
    }

    static void register(int pidfd) {
        TARGETS.add(pidfd);
        for (Integer signal; (signal = PENDING.poll()) != null; ) {
            send(pidfd, signal);
        }
    }

    static void unregister(int pidfd) {
        TARGETS.remove(pidfd);
    }

    private static void forward(int signal) {
        if (TARGETS.isEmpty()) {
            PENDING.add(signal); // Ctrl-C during a launch still reaches the container once it runs
            return;
        }
        for (int pidfd : TARGETS) {
            send(pidfd, signal);
        }
    }

    private static void send(int pidfd, int signal) {
        try {
            Syscalls.pidfdSendSignal(pidfd, signal);
        } catch (SyscallException e) {
            // ESRCH: the container exited between the signal and now; its waiter reports that.
        }
    }
}
