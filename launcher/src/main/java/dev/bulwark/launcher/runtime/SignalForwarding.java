package dev.bulwark.launcher.runtime;

import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.signal.SignalRelay;

import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;

/**
 * Routes SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 received by the launcher to the stop of
 * every container it runs in the foreground ({@link ContainerStop}: relay, stop timeout, kill). A
 * signal disposition belongs to the process, so the CLI installs one of these per process and passes it
 * with each run ({@link RunRequest.Foreground}); a JVM embedding Bulwark (a test harness) keeps its own
 * signal handling by installing none.
 */
public final class SignalForwarding implements AutoCloseable {
    public static final List<Integer> FORWARDED = List.of(Signals.SIGINT, Signals.SIGTERM, Signals.SIGHUP,
            Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2);

    /** Not forwarded: the launcher's terminal changed size, which a {@link TerminalRelay} passes on. */
    static final int SIGWINCH = 28;

    private final Set<ContainerStop> targets = new LinkedHashSet<>();
    private final Set<Runnable> windowChanges = new LinkedHashSet<>();
    /** Signals that arrived while no container was running yet (during a launch): delivered on register. */
    private final Queue<Integer> pending = new ArrayDeque<>();

    private SignalForwarding() {
    }

    /** Installs the process's handlers for {@link #FORWARDED}; once per process, closed before it exits. */
    public static SignalForwarding install() {
        SignalForwarding forwarding = new SignalForwarding();
        List<Integer> handled = new java.util.ArrayList<>(FORWARDED);
        handled.add(SIGWINCH);
        SignalRelay.install(handled, forwarding::forward);
        return forwarding;
    }

    /** Stops forwarding; the CLI calls it before exiting (see {@link SignalRelay#stop()}). */
    @Override
    public void close() {
        SignalRelay.stop();
    }

    synchronized void register(ContainerStop stop) {
        targets.add(stop);
        for (Integer signal; (signal = pending.poll()) != null; ) {
            stop.deliver(signal);
        }
    }

    synchronized void unregister(ContainerStop stop) {
        targets.remove(stop);
    }

    synchronized void onWindowChange(Runnable resize) {
        windowChanges.add(resize);
    }

    synchronized void removeWindowChange(Runnable resize) {
        windowChanges.remove(resize);
    }

    private synchronized void forward(int signal) {
        if (signal == SIGWINCH) {
            windowChanges.forEach(Runnable::run);
            return;
        }
        if (targets.isEmpty()) {
            pending.add(signal); // Ctrl-C during a launch still reaches the container once it runs
            return;
        }
        for (ContainerStop stop : targets) {
            stop.deliver(signal);
        }
    }
}
