package dev.bulwark.launcher.hooks;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The namespaces of a container's init that differ from the launcher's, opened by descriptor from
 * /proc/PID/ns so a hook's spawn can setns into them. The user namespace comes first (joining it gives
 * the capabilities the other joins need) but after namespaces it does not own, the mount namespace last
 * among those it owns (it changes the root and cwd). Used for hooks and for {@code exec}.
 */
public final class ContainerNamespaces implements AutoCloseable {
    /** A namespace to join: the /proc/PID/ns name, its CLONE_NEW* type, and the open descriptor. */
    public record Joined(String name, long type, int fd) {
    }

    private static final List<String> ORDER = List.of("user", "ipc", "uts", "net", "cgroup", "pid", "time", "mnt");

    private final List<Joined> joined;

    private ContainerNamespaces(List<Joined> joined) {
        this.joined = joined;
    }

    /**
     * Opens the namespaces of {@code pid}; {@code stillThere} is checked after opening, so a pid
     * reused by another process since it was recorded is refused rather than joined.
     */
    public static ContainerNamespaces of(int pid, java.util.function.BooleanSupplier stillThere) {
        List<Joined> opened = new ArrayList<>();
        try {
            for (String name : ORDER) {
                Path ours = Path.of("/proc/self/ns", name);
                Path theirs = Path.of("/proc", Integer.toString(pid), "ns", name);
                if (!Files.exists(ours, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue; // a kernel without this namespace type
                }
                if (link(ours).equals(link(theirs))) {
                    continue; // shared with the launcher: nothing to join (and setns to one's own user namespace is EINVAL)
                }
                int fd = DirectoryCalls.openat(OpenFlags.AT_FDCWD, theirs.toString(), OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
                opened.add(new Joined(name, type(name), fd));
            }
            if (!stillThere.getAsBoolean()) {
                throw new LaunchException("the container's init (pid " + pid + ") is gone");
            }
            return new ContainerNamespaces(ownersFirst(opened));
        } catch (SyscallException | IOException e) {
            closeAll(opened);
            String reason = e instanceof java.nio.file.AccessDeniedException ? e.getMessage() + ": permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? e.getMessage() + ": no such file (the init is gone?)"
                    : e.getMessage();
            throw new LaunchException("opening the namespaces of the container's init (pid " + pid + "): " + reason, e);
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /**
     * A namespace the container's user namespace does not own (one the config joined while creating the
     * user namespace) can only be joined from outside it, with the launcher's rights: before the user one.
     */
    private static List<Joined> ownersFirst(List<Joined> opened) throws IOException {
        Joined user = opened.stream().filter(n -> n.type() == CloneFlags.CLONE_NEWUSER).findFirst().orElse(null);
        if (user == null) {
            return opened;
        }
        String container = link(fdPath(user.fd()));
        List<Joined> before = new ArrayList<>();
        List<Joined> after = new ArrayList<>();
        for (Joined namespace : opened) {
            if (namespace != user) {
                (owner(namespace.fd()).equals(container) ? after : before).add(namespace);
            }
        }
        before.add(user);
        before.addAll(after);
        return before;
    }

    private static String owner(int namespaceFd) throws IOException {
        int owner = (int) Syscalls.ioctl(namespaceFd, CloneFlags.NS_GET_USERNS, 0);
        try {
            return link(fdPath(owner));
        } finally {
            Syscalls.close(owner);
        }
    }

    private static Path fdPath(int fd) {
        return Path.of("/proc/self/fd", Integer.toString(fd));
    }

    public List<Joined> joined() {
        return joined;
    }

    private static String link(Path path) throws IOException {
        return Files.readSymbolicLink(path).toString();
    }

    private static long type(String name) {
        return switch (name) {
            case "user" -> CloneFlags.CLONE_NEWUSER;
            case "ipc" -> CloneFlags.CLONE_NEWIPC;
            case "uts" -> CloneFlags.CLONE_NEWUTS;
            case "net" -> CloneFlags.CLONE_NEWNET;
            case "cgroup" -> CloneFlags.CLONE_NEWCGROUP;
            case "pid" -> CloneFlags.CLONE_NEWPID;
            case "time" -> CloneFlags.CLONE_NEWTIME;
            case "mnt" -> CloneFlags.CLONE_NEWNS;
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static void closeAll(List<Joined> namespaces) {
        for (Joined namespace : namespaces) {
            Syscalls.close(namespace.fd());
        }
    }

    @Override
    public void close() {
        closeAll(joined);
    }
}
