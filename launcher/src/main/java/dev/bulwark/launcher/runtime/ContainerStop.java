package dev.bulwark.launcher.runtime;

import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.Signals;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Stopping one foreground container. Every signal the launcher relays goes to the container's init
 * (through its pidfd, never a recycled pid). A stop signal, SIGTERM or SIGINT, also starts the stop
 * timeout: a workload that has not exited when it runs out is killed, through its cgroup
 * (cgroup.kill) where it has one, and always through its init, whose SIGKILL ends every process of a
 * pid namespace it is the init of. That is what ends a pid 1 without a handler, which the kernel
 * never lets a signal kill. The same stop signal a second time (Ctrl-C twice) kills at once; SIGHUP,
 * SIGQUIT, SIGUSR1 and SIGUSR2 are only relayed, as runc relays them (SIGHUP often means "reload").
 * State of one container: a JVM running many holds one of these per container.
 */
public final class ContainerStop {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    /** As podman's default stop timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final String id;
    private final int pidfd;
    private final Duration timeout;
    /** Kills every process of the container's cgroup; false when it has none. */
    private final BooleanSupplier killCgroup;
    /** The first stop signal received, 0 before. */
    private int stopSignal;
    private boolean ended;

    ContainerStop(String id, int pidfd, Duration timeout, BooleanSupplier killCgroup) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative stop timeout " + timeout);
        }
        this.id = id;
        this.pidfd = pidfd;
        this.timeout = timeout;
        this.killCgroup = killCgroup;
    }

    static boolean isStopSignal(int signal) {
        return signal == Signals.SIGTERM || signal == Signals.SIGINT;
    }

    private static String nameOf(int stopSignal) {
        return stopSignal == Signals.SIGTERM ? "SIGTERM" : "SIGINT";
    }

    /** A signal the launcher received: relayed to the init; a stop signal starts (or, repeated, cuts short) the stop timeout. */
    synchronized void deliver(int signal) {
        if (ended) {
            return;
        }
        boolean killNow = isStopSignal(signal) && (stopSignal == 0 ? timeout.isZero() : signal == stopSignal);
        if (!killNow) {
            send(signal); // not before a kill at once: the status is then always 137, never a race with 128+signal
        }
        if (!isStopSignal(signal)) {
            return;
        }
        if (stopSignal == 0) {
            stopSignal = signal;
            if (timeout.isZero()) {
                kill("--stop-timeout 0");
            } else {
                Thread timer = new Thread(this::killAfterTimeout, "bulwark-stop-" + id);
                timer.setDaemon(true);
                timer.start();
            }
        } else if (signal == stopSignal) {
            kill("a second " + nameOf(signal));
        }
    }

    /** The init was reaped: nothing is left to signal or kill, and a running timeout ends. */
    synchronized void ended() {
        ended = true;
        notifyAll();
    }

    private synchronized void killAfterTimeout() {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (long left; !ended && (left = deadline - System.nanoTime()) > 0; ) {
                wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // kill now rather than leave a container that was asked to stop
        }
        kill("the stop timeout (" + timeout.toSeconds() + " s after " + nameOf(stopSignal) + ")");
    }

    /** Sends {@code signal} to the init unless it was reaped (an embedding JVM's {@code signal}). */
    public synchronized void signal(int signal) {
        if (!ended) {
            send(signal);
        }
    }

    /** Kills the container now, its cgroup and its init (an embedding JVM's {@code close}); nothing once it was reaped. */
    public synchronized void killNow() {
        if (ended) {
            return;
        }
        try {
            killCgroup.getAsBoolean();
        } catch (RuntimeException e) { // the init's SIGKILL below still ends a pid namespace
            LOG.log(System.Logger.Level.WARNING, "container " + id + ": " + e.getMessage());
        }
        send(Signals.SIGKILL);
    }

    private void kill(String why) {
        if (ended) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "container " + id + " still runs at " + why + ": killing it (SIGKILL)");
        try {
            killCgroup.getAsBoolean();
        } catch (RuntimeException e) { // the init's SIGKILL below still ends a pid namespace
            LOG.log(System.Logger.Level.WARNING, "container " + id + ": " + e.getMessage());
        }
        send(Signals.SIGKILL);
    }

    private void send(int signal) {
        try {
            Syscalls.pidfdSendSignal(pidfd, signal);
        } catch (SyscallException e) {
            // ESRCH: the init exited between the signal and now; its waiter reports that
        }
    }
}
