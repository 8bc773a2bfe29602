package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.constants.Signals;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code linux.namespaces[].path}: the child joins that namespace with setns(2) instead of getting a new
 * one, as runc and crun do. The launcher opens each path once and checks what it opened (NS_GET_NSTYPE),
 * so a file of another type, or no namespace at all, fails in one line naming the field before any
 * process exists; the child then joins through the inherited fd (setns checks the type again).
 *
 * <p>Order, as in runc's nsexec: the user namespace first (it grants the capabilities the other joins
 * need), then the others. With a joined user namespace the clone makes no namespace: the new ones are
 * unshared after the joins, so that they belong to the joined user namespace, and the launcher writes
 * no id maps (the namespace has its own). A pid namespace (joined, or new under a joined user
 * namespace) applies only to children, so the child then forks once more with CLONE_PARENT: the new
 * process is the container's init and the launcher's child; the forking one hands its pid over and
 * exits. A joined mount namespace is where the root is assembled; it must not be the launcher's own.
 *
 * <p>A new user namespace with joined others (Podman's network namespace under the hardened profile):
 * a process in a brand-new user namespace holds no capability over existing namespaces, so, as runc's
 * nsexec, the clone makes no namespace, the child joins with the launcher's privileges, then unshares
 * the user namespace and stops ({@link ChildProgram.IdMapStop}) while the launcher writes its id maps;
 * the other new namespaces are unshared after that, owned by the new user namespace.
 */
final class NamespaceJoinSteps {
    /** Created by unshare after a joined user namespace; cgroup is unshared later, once the child is in its cgroup. */
    private static final List<String> UNSHARED_AFTER_JOINING = List.of("mount", "uts", "ipc", "network", "pid", "time");

    private NamespaceJoinSteps() {
    }

    /** The type of namespace {@code type} as clone/setns flags, or 0 for a type this class does not know. */
    static long flag(String type) {
        return switch (type) {
            case "user" -> CloneFlags.CLONE_NEWUSER;
            case "pid" -> CloneFlags.CLONE_NEWPID;
            case "mount" -> CloneFlags.CLONE_NEWNS;
            case "uts" -> CloneFlags.CLONE_NEWUTS;
            case "ipc" -> CloneFlags.CLONE_NEWIPC;
            case "network" -> CloneFlags.CLONE_NEWNET;
            case "cgroup" -> CloneFlags.CLONE_NEWCGROUP;
            case "time" -> CloneFlags.CLONE_NEWTIME;
            default -> 0L;
        };
    }

    /** Whether the config joins an existing user namespace (then clone makes no namespace at all). */
    static boolean joinsUserNamespace(Linux linux) {
        return linux.hasNamespace("user") && !linux.createsNamespace("user");
    }

    /** Whether the config creates a user namespace and joins another namespace: the child unshares the user namespace after the joins. */
    public static boolean unsharesUserAfterJoining(Linux linux) {
        return linux.createsNamespace("user") && linux.namespaces().stream()
                .anyMatch(namespace -> namespace.path() != null && !namespace.path().isEmpty());
    }

    /** Whether the clone makes no namespace: the child makes the new ones with unshare after its joins. */
    static boolean unsharesAfterJoining(Linux linux) {
        return joinsUserNamespace(linux) || unsharesUserAfterJoining(linux);
    }

    /** "linux.namespaces[i].path" of a joined user namespace, or null. */
    static String joinedUserField(Linux linux) {
        for (int i = 0; i < linux.namespaces().size(); i++) {
            LinuxNamespace namespace = linux.namespaces().get(i);
            if ("user".equals(namespace.type()) && namespace.path() != null && !namespace.path().isEmpty()) {
                return "linux.namespaces[" + i + "].path";
            }
        }
        return null;
    }

    /** Whether the child must fork once more after the joins: only children enter a pid (or time) namespace set by setns/unshare. */
    static boolean forksInit(Linux linux) {
        boolean joinsPid = linux.hasNamespace("pid") && !linux.createsNamespace("pid");
        boolean unsharesPidOrTime = unsharesAfterJoining(linux) && (linux.createsNamespace("pid") || linux.createsNamespace("time"));
        return joinsPid || unsharesPidOrTime;
    }

    /**
     * Rootless, the child can join a namespace other than a user one only from inside a user namespace:
     * setns(2) also asks for CAP_SYS_ADMIN in the caller's own user namespace, which an unprivileged
     * process never holds in the host's. So a new user namespace (made after the joins) cannot work;
     * joining the owning user namespace as well can.
     */
    static void refuseRootlessJoinsBeforeANewUserNamespace(Linux linux) {
        if (!unsharesUserAfterJoining(linux)) {
            return;
        }
        for (int i = 0; i < linux.namespaces().size(); i++) {
            LinuxNamespace namespace = linux.namespaces().get(i);
            if (namespace.path() != null && !namespace.path().isEmpty()) {
                throw new LaunchException("linux.namespaces[" + i + "].path: rootless, " + withArticle(namespace.type())
                        + " namespace can be joined only together with the user namespace that owns it (give that user"
                        + " namespace's path too): the kernel asks for CAP_SYS_ADMIN in the caller's own user namespace");
            }
        }
    }

    /** @param idMapStop where the child stops for its id maps when {@link #unsharesUserAfterJoining}; else unused */
    static void join(ChildSteps steps, Linux linux, ChildProgram.IdMapStop idMapStop) {
        List<Joined> joined = open(steps, linux.namespaces());
        for (Joined namespace : joined) { // user first: see the class comment
            steps.step(namespace.field() + ": join the " + namespace.type() + " namespace at " + namespace.path(),
                    "the config shares it (the kernel checks it is a " + namespace.type() + " namespace)",
                    "setns", namespace.fd(), flag(namespace.type()));
            steps.step(namespace.field() + ": close " + namespace.path(), "joined", "close", namespace.fd());
        }
        if (unsharesUserAfterJoining(linux)) {
            steps.step("create the new user namespace", "after the joins: a process in a new user namespace has no rights over existing ones",
                    "unshare", CloneFlags.CLONE_NEWUSER);
            long buffer = steps.memory().allocate(8);
            steps.step("stop for the id maps", "the launcher writes this process's uid_map and gid_map now",
                    "write", idMapStop.stoppedWrite(), buffer, 1).mustEqual(1);
            steps.step("wait for the id maps", "setup runs as the new namespace's root, which needs its maps",
                    "read", idMapStop.resumeRead(), buffer, 1).mustEqual(1);
            steps.step("close the id map stop pipe", "no more stops for the maps", "close", idMapStop.stoppedWrite());
            steps.step("close the id map resume pipe", "no more stops for the maps", "close", idMapStop.resumeRead());
        }
        if (unsharesAfterJoining(linux)) {
            long unshare = 0;
            for (String type : UNSHARED_AFTER_JOINING) {
                if (linux.createsNamespace(type)) {
                    unshare |= flag(type);
                }
            }
            if (unshare != 0) {
                steps.step("create the new namespaces in the " + (joinsUserNamespace(linux) ? "joined" : "new") + " user namespace",
                        "they belong to it, so its root may set them up",
                        "unshare", unshare);
            }
        }
        if (forksInit(linux)) {
            steps.fork("fork the container's init into the pid namespace",
                    "setns and unshare move only children into a pid namespace; the init is the launcher's child"
                            + " (CLONE_PARENT) and this process hands its pid over and exits",
                    CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
        }
    }

    /**
     * A failed step's message, with the reason when the kernel refused a join (EPERM): setns needs
     * CAP_SYS_ADMIN over the user namespace that owns the target, which a rootless caller holds only for
     * user namespaces it created.
     */
    static String failureMessage(SyscallTable.ChildFailure failure) {
        if (failure.errno() == Errno.EPERM && failure.step().matches("linux\\.namespaces\\[\\d+]\\.path: join the .*")) {
            return failure.message() + "; joining needs CAP_SYS_ADMIN in the user namespace that owns it"
                    + " (rootless: only by joining that user namespace too)";
        }
        return failure.message();
    }

    private record Joined(String field, String type, String path, int fd) {
    }

    /** Opens and checks every path (user first); the fds are the table's, closed with it. */
    private static List<Joined> open(ChildSteps steps, List<LinuxNamespace> namespaces) {
        List<Joined> joined = new ArrayList<>();
        for (int i = 0; i < namespaces.size(); i++) {
            LinuxNamespace namespace = namespaces.get(i);
            if (namespace.path() == null || namespace.path().isEmpty()) {
                continue;
            }
            String field = "linux.namespaces[" + i + "].path";
            long expected = flag(namespace.type());
            if (expected == 0) {
                throw new LaunchException(field + ": joining a " + namespace.type() + " namespace is not supported");
            }
            int fd;
            try {
                fd = DirectoryCalls.openat(OpenFlags.AT_FDCWD, namespace.path(), OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
            } catch (SyscallException e) {
                throw new LaunchException(field + ": cannot open " + namespace.path() + ": " + Errno.describe(e.errno()), e);
            }
            steps.table().closeWithTable(fd);
            long actual;
            try {
                actual = Syscalls.ioctl(fd, CloneFlags.NS_GET_NSTYPE, 0);
            } catch (SyscallException e) {
                throw new LaunchException(field + ": " + namespace.path() + " is not a namespace file ("
                        + Errno.describe(e.errno()) + ")", e);
            }
            if (actual != expected) {
                throw new LaunchException(field + ": " + namespace.path() + " is " + withArticle(typeName(actual))
                        + " namespace, not " + withArticle(namespace.type()) + " namespace");
            }
            if (expected == CloneFlags.CLONE_NEWNS && hostMountNamespaces().contains(identity(fd))) {
                throw new LaunchException(field + ": " + namespace.path() + " is the host's mount namespace (the launcher's"
                        + " or PID 1's); the container's root is assembled there with pivot_root, which must not touch the host's mounts");
            }
            Joined entry = new Joined(field, namespace.type(), namespace.path(), fd);
            if (expected == CloneFlags.CLONE_NEWUSER) {
                joined.add(0, entry);
            } else {
                joined.add(entry);
            }
        }
        return joined;
    }

    private static String withArticle(String type) {
        return (type.equals("ipc") ? "an " : "a ") + type;
    }

    private static String typeName(long flag) {
        for (String type : List.of("user", "pid", "mount", "uts", "ipc", "network", "cgroup", "time")) {
            if (flag(type) == flag) {
                return type;
            }
        }
        return "0x" + Long.toHexString(flag);
    }

    /** "mnt:[4026531841]": a namespace's identity, read through the fd (never the path again). */
    private static String identity(int fd) {
        return link(Path.of("/proc/self/fd", Integer.toString(fd)));
    }

    /**
     * The launcher's mount namespace and PID 1's: pivot_root in either would move the root of every host
     * process in it. PID 1's is unreadable rootless (no ptrace access), where a joined mount namespace
     * must anyway belong to a user namespace the caller owns.
     */
    private static List<String> hostMountNamespaces() {
        List<String> host = new ArrayList<>(List.of(link(Path.of("/proc/self/ns/mnt"))));
        try {
            host.add(Files.readSymbolicLink(Path.of("/proc/1/ns/mnt")).toString());
        } catch (IOException e) {
            // rootless: not ours to read
        }
        return host;
    }

    private static String link(Path path) {
        try {
            return Files.readSymbolicLink(path).toString();
        } catch (IOException e) {
            throw new LaunchException("linux.namespaces: cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
