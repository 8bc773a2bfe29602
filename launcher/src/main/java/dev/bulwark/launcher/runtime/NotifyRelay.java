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
import java.util.stream.Collectors;

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
 * and its exit status. Everything else (READY=1, STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1,
 * EXTEND_TIMEOUT_USEC=) goes through as sent ({@link #forwarded}). The socket is writable by every uid (the
 * container's are unprivileged host ids), so a message counts only when the kernel's credentials show one
 * of the container's uids (or the launcher's): another host user cannot speak for the service.
 */
public final class NotifyRelay implements AutoCloseable {
    /** Where the built-in default finds the socket (runc's path). */
    public static final String CONTAINER_PATH = "/run/notify/notify.sock";
    /** Where a bundle's container finds it. */
    public static final String BUNDLE_PATH = "/dev/notify.sock";
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    /** systemd reads at most this much of one message. */
    private static final int MESSAGE_MAX = 4096;

    private final String hostSocket;
    private final StateDirectory state;
    private final int socket;
    private final int[] stop;
    private final String socketPath;
    private final Thread thread;
    private final java.util.function.IntPredicate sender;

    private NotifyRelay(String hostSocket, StateDirectory state, int socket, int[] stop, String socketPath,
                        java.util.function.IntPredicate sender) {
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
     * container's users send: host uids {@code idMaps} maps (any uid without a user namespace) or the launcher's.
     */
    public static NotifyRelay start(StateDirectory state, String hostSocket, IdMaps idMaps) {
        int launcherUid = Syscalls.geteuid();
        java.util.function.IntPredicate sender = uid -> uid == launcherUid || !idMaps.userNamespace()
                || idMaps.uid().stream().anyMatch(m -> uid >= m.hostId() && uid - m.hostId() < m.size());
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
     * The message without MAINPID= lines (the launcher stays systemd's main process) and BARRIER=1 (its fd
     * is not relayed: the barrier is passed once the relay has read it, messages before it were relayed in
     * order); empty when nothing is left. File descriptors (FDSTORE=1) are not relayed.
     */
    static String forwarded(String message) {
        return message.lines().filter(line -> !line.isEmpty() && !line.startsWith("MAINPID=") && !line.equals("BARRIER=1"))
                .collect(Collectors.joining("\n"));
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
