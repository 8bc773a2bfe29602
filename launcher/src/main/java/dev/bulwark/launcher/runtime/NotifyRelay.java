package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.UnixSockets;
import dev.bulwark.nativ.constants.OpenFlags;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Relays sd_notify(3) messages so that a {@code Type=notify} unit can run {@code bulwark run}, as runc and
 * crun do: the container gets {@code NOTIFY_SOCKET}, a datagram socket that the launcher binds in the state
 * directory and bind-mounts into the container (read-only: connect needs no write access to the mount, and
 * Landlock's filesystem rules do not cover connecting to a socket), at runc's {@value #CONTAINER_PATH} in
 * the built-in default, whose root is Bulwark's own tmpfs, and at {@value #BUNDLE_PATH} in a bundle, whose
 * /run belongs to the image (absent, read-only, or owned by host root where the container's root cannot
 * make a mount point) while /dev is the container's own tmpfs (tini's /dev/init goes there too); the launcher sends
 * each message on to its own NOTIFY_SOCKET. systemd accepts them because they now come from the unit's
 * main process, the launcher, which stays the main process: {@code MAINPID=} lines are dropped, since
 * handing systemd the container's init would bypass the launcher's stop (SIGTERM, --stop-timeout, kill)
 * and its exit status. Only the state keys in {@link #FORWARDED_KEYS} go through, as sent ({@link #forwarded}):
 * anything else (FDSTORE=, NOTIFYACCESS=, future keys) is dropped rather than handed to systemd on the
 * launcher's behalf. The socket is writable by every uid (the container's are unprivileged host ids), so a
 * message counts only when the kernel's credentials show the launcher's euid or the container's: with its own
 * user namespace any host uid its maps cover, without one only {@code process.user.uid} (then a host uid):
 * another host user cannot speak for the service ({@link #senders}).
 */
public final class NotifyRelay implements AutoCloseable {
    /** Where the built-in default finds the socket (runc's path). */
    public static final String CONTAINER_PATH = "/run/notify/notify.sock";
    /** Where a bundle's container finds it. */
    public static final String BUNDLE_PATH = "/dev/notify.sock";
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    /** The sd_notify(3) keys relayed; MAINPID= (the launcher stays the main process) and BARRIER= are not. */
    static final Set<String> FORWARDED_KEYS = Set.of("READY", "RELOADING", "STOPPING", "STATUS", "ERRNO", "BUSERROR",
            "WATCHDOG", "WATCHDOG_USEC", "EXTEND_TIMEOUT_USEC", "MONOTONIC_USEC");
    /** systemd reads at most this much of one message. */
    private static final int MESSAGE_MAX = 4096;

    private final String hostSocket;
    private final StateDirectory state;
    private final int socket;
    private final int[] stop;
    private final String socketPath;
    private final Thread thread;
    private final IntPredicate sender;

    private NotifyRelay(String hostSocket, StateDirectory state, int socket, int[] stop, String socketPath,
                        IntPredicate sender) {
        this.sender = sender;
        this.hostSocket = hostSocket;
        this.state = state;
        this.socket = socket;
        this.stop = stop;
        this.socketPath = socketPath;
        this.thread = new Thread(null, this::relay, "bulwark-notify-relay", 256 * 1024);
        thread.setDaemon(true);
    }

    /**
     * Binds the container's socket in {@code state} and starts relaying to {@code hostSocket} what the
     * container sends ({@link #senders}; {@code containerUid} is process.user.uid).
     */
    public static NotifyRelay start(StateDirectory state, String hostSocket, IdMaps idMaps, long containerUid) {
        IntPredicate sender = senders(idMaps, containerUid, Syscalls.geteuid());
        int socket = UnixSockets.datagramSocket();
        int[] stop = null;
        try {
            UnixSockets.passCredentials(socket);
            String path = state.bindNotifySocket(socket).toString();
            stop = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
            NotifyRelay relay = new NotifyRelay(hostSocket, state, socket, stop, path, sender);
            relay.thread.start();
            return relay;
        } catch (RuntimeException e) {
            Syscalls.close(socket);
            if (stop != null) {
                Syscalls.close(stop[0]);
                Syscalls.close(stop[1]);
            }
            state.removeNotifySocket();
            throw e;
        }
    }

    /**
     * The host uids (as the kernel reports them, unsigned) whose messages count: the launcher's euid, and with a
     * user namespace of the container's own every host uid its maps cover; without one only the container
     * process's uid, which is then a host uid (a joined namespace's maps are not known here: its processes are
     * not accepted unless they map to that uid).
     */
    static IntPredicate senders(IdMaps idMaps, long containerUid, int launcherUid) {
        if (!idMaps.userNamespace()) {
            return uid -> uid == launcherUid || Integer.toUnsignedLong(uid) == containerUid;
        }
        return uid -> uid == launcherUid || idMaps.uid().stream().anyMatch(m -> Integer.toUnsignedLong(uid) >= m.hostId()
                && Integer.toUnsignedLong(uid) - m.hostId() < m.size());
    }

    /** The socket's path in the container: {@value #CONTAINER_PATH} in the built-in default, else {@value #BUNDLE_PATH}. */
    public static String containerPath(boolean hostUsrRoot) {
        return hostUsrRoot ? CONTAINER_PATH : BUNDLE_PATH;
    }

    /** {@code spec} with the socket bind-mounted at {@link #containerPath} and NOTIFY_SOCKET naming it. */
    public Spec applyTo(Spec spec, boolean hostUsrRoot) {
        String inContainer = containerPath(hostUsrRoot);
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        mounts.add(new Mount(inContainer, "bind", socketPath, List.of("bind", "ro", "nosuid", "nodev", "noexec")));
        List<String> env = new ArrayList<>();
        for (String entry : spec.process().env()) {
            if (!entry.startsWith("NOTIFY_SOCKET=")) {
                env.add(entry);
            }
        }
        env.add("NOTIFY_SOCKET=" + inContainer);
        return spec.withMounts(mounts).withProcess(spec.process().withEnv(env));
    }

    private void relay() {
        try {
            while (UnixSockets.awaitReadable(socket, stop[0]) == 0) { // the socket first: drained before the stop
                UnixSockets.Datagram message = UnixSockets.receive(socket, MESSAGE_MAX);
                if (!sender.test(message.uid())) { // the socket is world-writable: only the container speaks for it
                    LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET: dropped a message from host uid " + message.uid()
                            + " (pid " + message.pid() + "), which is not one of the container's");
                    continue;
                }
                String forwarded = forwarded(new String(message.data(), StandardCharsets.UTF_8));
                if (!forwarded.isEmpty()) {
                    send(forwarded);
                }
            }
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET: the relay stopped: " + e.getMessage());
        }
    }

    /**
     * The message's lines whose key is in {@link #FORWARDED_KEYS}; empty when none is. Dropped: MAINPID= (the
     * launcher stays systemd's main process), BARRIER=1 (its fd is not relayed: the barrier is passed once the
     * relay has read it, messages before it were relayed in order), FDSTORE= (no fds are relayed) and any other
     * key, each with a debug line.
     */
    static String forwarded(String message) {
        List<String> kept = new ArrayList<>();
        for (String line : message.lines().toList()) {
            int equals = line.indexOf('=');
            if (equals > 0 && FORWARDED_KEYS.contains(line.substring(0, equals))) {
                kept.add(line);
            } else if (!line.isEmpty()) {
                LOG.log(System.Logger.Level.DEBUG, () -> "NOTIFY_SOCKET: not relayed: "
                        + (equals > 0 ? line.substring(0, equals) + "=..." : "a line without a key"));
            }
        }
        return String.join("\n", kept);
    }

    private void send(String message) {
        int out = UnixSockets.datagramSocket();
        try {
            UnixSockets.connect(out, hostSocket);
            Syscalls.write(out, message.getBytes(StandardCharsets.UTF_8));
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, "NOTIFY_SOCKET: could not relay \"" + message.replace("\n", "\\n")
                    + "\" to " + hostSocket + ": " + e.getMessage());
        } finally {
            Syscalls.close(out);
        }
    }

    /** Relays what the container sent until now, stops, and removes the socket. */
    @Override
    public void close() {
        try {
            Syscalls.write(stop[1], new byte[] {1});
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Syscalls.close(stop[0]);
            Syscalls.close(stop[1]);
            Syscalls.close(socket);
            state.removeNotifySocket();
        }
    }
}
