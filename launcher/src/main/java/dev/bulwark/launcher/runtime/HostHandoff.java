package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.UnixSockets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the launcher hands from its own process to the workload: systemd's listening sockets (fds from 3
 * up), the fds {@code --preserve-fds} names (after those, as runc numbers them), and systemd's
 * {@code NOTIFY_SOCKET}, which a {@link NotifyRelay} serves.
 *
 * @param activation   socket activation meant for this launcher, or null
 * @param preserveFds  {@code --preserve-fds N}
 * @param notifySocket the launcher's NOTIFY_SOCKET to relay to, or null
 */
public record HostHandoff(SocketActivation activation, int preserveFds, String notifySocket) {
    public static final HostHandoff NONE = new HostHandoff(null, 0, null);

    /**
     * From this process's environment, checked: every passed fd must be one the launcher inherited.
     *
     * @param relayNotify whether a NOTIFY_SOCKET in the environment is relayed (a foreground run)
     */
    public static HostHandoff fromLauncher(int preserveFds, boolean relayNotify) {
        if (preserveFds < 0) {
            throw new LaunchException("--preserve-fds: must be 0 or more, got " + preserveFds);
        }
        Map<String, String> environment = System.getenv();
        SocketActivation activation = SocketActivation.fromEnvironment(environment, Syscalls.getpid()).orElse(null);
        String notify = relayNotify ? environment.get("NOTIFY_SOCKET") : null;
        if (notify != null && notify.isEmpty()) {
            notify = null;
        }
        if (notify != null && (!UnixSockets.fits(notify) || !(notify.startsWith("/") || notify.startsWith("@")))) {
            throw new LaunchException("NOTIFY_SOCKET: \"" + notify + "\" is not a unix socket address (an absolute path "
                    + "or @abstract name of at most 107 bytes)");
        }
        HostHandoff handoff = new HostHandoff(activation, preserveFds, notify);
        requireInherited(activation == null ? 0 : activation.count(), preserveFds);
        return handoff;
    }

    /**
     * {@code exec --preserve-fds N}: the same check as for run and create, without systemd's sockets (an exec'd
     * process gets none): fds 3 .. 3+N-1 must be open and inherited by the launcher.
     */
    public static void requirePreserved(int preserveFds) {
        if (preserveFds < 0) {
            throw new LaunchException("--preserve-fds: must be 0 or more, got " + preserveFds);
        }
        requireInherited(0, preserveFds);
    }

    /** How many fds from 3 up the workload inherits. */
    public int passedFds() {
        return (activation == null ? 0 : activation.count()) + preserveFds;
    }

    /** {@code spec} with the socket activation variables for the workload. */
    public Spec applyTo(Spec spec) {
        return activation == null ? spec : activation.applyTo(spec);
    }

    /**
     * Each passed fd must be open and one this launcher inherited: not close-on-exec (it survived the
     * launcher's own execve) and not one the JVM opened itself (its modules file and jars, which take the
     * lowest free numbers at start-up), so a count too high is refused instead of leaking the launcher's files.
     */
    private static void requireInherited(int listening, int preserveFds) {
        int passedFds = listening + preserveFds;
        List<String> jvmFiles = passedFds == 0 ? List.of() : jvmFiles();
        for (int fd = 3; fd < 3 + passedFds; fd++) {
            String flag = fd < 3 + listening ? "LISTEN_FDS" : "--preserve-fds";
            String what = fd < 3 + listening ? "listening socket" : "fd";
            if (!UnixSockets.isOpen(fd)) {
                throw new LaunchException(flag + ": " + what + " " + fd + " is not open in the launcher"
                        + (flag.equals("--preserve-fds") ? " (--preserve-fds " + preserveFds + " passes fds "
                        + (3 + listening) + ".." + (2 + passedFds) + ")" : ""));
            }
            Optional<String> target = target(fd);
            if (UnixSockets.isCloseOnExec(fd) || target.filter(jvmFiles::contains).isPresent()) {
                throw new LaunchException(flag + ": fd " + fd + " is the launcher's own (" + target.orElse("?")
                        + "), not one it inherited");
            }
        }
    }

    private static Optional<String> target(int fd) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Files the JVM keeps open from start-up: its runtime image and the class path. */
    private static List<String> jvmFiles() {
        List<String> files = new ArrayList<>();
        String javaHome = System.getProperty("java.home"); // none in the native launcher, which has no runtime image
        if (javaHome != null) {
            files.add(realPath(Path.of(javaHome, "lib", "modules")));
        }
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty()) {
                files.add(realPath(Path.of(entry)));
            }
        }
        return files;
    }

    private static String realPath(Path path) {
        try {
            return path.toRealPath().toString();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize().toString();
        }
    }
}
