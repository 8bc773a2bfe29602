package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The container's network ({@code run --network MODE}, or the annotation {@value #ANNOTATION} for
 * pasta in a bundle):
 * <ul>
 *   <li>{@code loopback} (default) and {@code none}: a new network namespace with only {@code lo}, up
 *       (Podman's {@code none} brings lo up too, so the two are the same container);</li>
 *   <li>{@code host}: no network namespace, the host's interfaces (loosens isolation);</li>
 *   <li>{@code ns:PATH}: join the network namespace at PATH (linux.namespaces[].path);</li>
 *   <li>{@code pasta}: a new network namespace that Debian's pasta (package passt) connects to the host
 *       from outside, with an interface, addresses, routes and a DNS forwarder, as Podman 5 does;
 *       {@code --publish} forwards host ports into it.</li>
 * </ul>
 *
 * @param mode          the mode
 * @param namespacePath for {@link Mode#NAMESPACE}: the network namespace file to join; else null
 * @param ports         for {@link Mode#PASTA}: the published ports; else empty
 */
public record ContainerNetwork(Mode mode, String namespacePath, List<PublishedPort> ports) {
    /** On a config: "pasta" asks for pasta's user-mode networking (the only value). */
    public static final String ANNOTATION = "dev.bulwark.network";
    /** On a config with {@link #ANNOTATION}: the published ports, comma-separated, each as {@code --publish} takes it. */
    public static final String PUBLISH_ANNOTATION = "dev.bulwark.network.publish";
    public static final Path PASTA = Path.of("/usr/bin/pasta");
    /** Queries sent here in the container are forwarded by pasta to the host's resolver (Podman's address). */
    public static final String PASTA_DNS = "169.254.1.1";
    public static final String MODES = "loopback, none, host, ns:PATH, pasta";

    public enum Mode { LOOPBACK, NONE, HOST, NAMESPACE, PASTA }

    public ContainerNetwork {
        ports = List.copyOf(ports);
    }

    /** {@code --network MODE} and its {@code --publish} flags; every bad value is one line naming its flag. */
    public static ContainerNetwork parse(String modeText, List<String> publish, boolean rootless) {
        String text = modeText == null ? "loopback" : modeText.strip();
        ContainerNetwork network;
        if (text.startsWith("ns:")) {
            String path = text.substring(3);
            if (!path.startsWith("/")) {
                throw new LaunchException("--network: ns:" + path + ": give the absolute path of a network namespace file "
                        + "(e.g. ns:/run/netns/NAME or ns:/proc/PID/ns/net)");
            }
            requireNetworkNamespace(path);
            network = new ContainerNetwork(Mode.NAMESPACE, path, List.of());
        } else {
            Mode mode = switch (text) {
                case "loopback" -> Mode.LOOPBACK;
                case "none" -> Mode.NONE;
                case "host" -> Mode.HOST;
                case "pasta" -> Mode.PASTA;
                default -> throw new LaunchException("--network: \"" + text + "\" is not a network mode; use one of " + MODES);
            };
            network = new ContainerNetwork(mode, null, List.of());
        }
        if (!publish.isEmpty() && network.mode() != Mode.PASTA) {
            throw new LaunchException("--publish: needs --network pasta (the " + text + " network has no way in from the host)");
        }
        if (network.mode() == Mode.PASTA) {
            List<PublishedPort> ports = publish.stream().map(p -> PublishedPort.parse(p, "--publish")).toList();
            requirePasta("--network pasta");
            if (rootless) {
                requireTunUsable("--network pasta");
            }
            requireFreeHostPorts(ports, "--publish");
            network = new ContainerNetwork(Mode.PASTA, null, ports);
        }
        return network;
    }

    /**
     * {@code spec} (the built-in default, which has a new network namespace) with this network. Rootless,
     * {@code ns:PATH} joins the user namespace that owns it too: setns into a network namespace needs
     * CAP_SYS_ADMIN in the caller's own user namespace, which a new one of the container's could not give.
     */
    public Spec applyTo(Spec spec, boolean rootless) {
        if (mode == Mode.NAMESPACE && rootless) {
            return withOwningUserNamespace(applyTo(spec, false));
        }
        return switch (mode) {
            case LOOPBACK, NONE -> spec;
            case HOST -> spec.withLinux(spec.linux().withNamespaces(spec.linux().namespaces().stream()
                    .filter(n -> !n.type().equals("network")).toList()));
            case NAMESPACE -> spec.withLinux(spec.linux().withNamespaces(spec.linux().namespaces().stream()
                    .map(n -> n.type().equals("network") ? new LinuxNamespace("network", namespacePath) : n).toList()));
            case PASTA -> {
                Map<String, String> annotations = new LinkedHashMap<>(spec.annotations());
                annotations.put(ANNOTATION, "pasta");
                if (!ports.isEmpty()) {
                    annotations.put(PUBLISH_ANNOTATION, ports.stream().map(PublishedPort::toString).collect(Collectors.joining(",")));
                }
                yield spec.withAnnotations(annotations);
            }
        };
    }

    /**
     * The built-in default joining {@link #namespacePath} with the user namespace that owns it, found with
     * NS_GET_USERNS. That namespace keeps its own id maps (an {@code unshare -U -r -n} maps container root
     * to you, as the built-in default does). Its fd stays open for the launch, which opens
     * /proc/self/fd/N again as it opens any joined path; the process runs one container, and the fd is
     * close-on-exec.
     */
    private Spec withOwningUserNamespace(Spec spec) {
        String field = "--network ns:" + namespacePath;
        int owner;
        int network;
        try {
            network = DirectoryCalls.openat(OpenFlags.AT_FDCWD, namespacePath, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            throw new LaunchException(field + ": cannot open it (" + e.getMessage() + ")");
        }
        try {
            owner = (int) Syscalls.ioctl(network, CloneFlags.NS_GET_USERNS, 0);
        } catch (SyscallException e) {
            throw new LaunchException(field + ": not a namespace file, or its user namespace is out of reach ("
                    + e.getMessage() + ")");
        } finally {
            Syscalls.close(network);
        }
        String ownerPath = "/proc/self/fd/" + owner;
        try {
            if (Files.readSymbolicLink(Path.of(ownerPath)).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/user")))) {
                Syscalls.close(owner);
                throw new LaunchException(field + ": rootless, only a network namespace made in a user namespace of your own "
                        + "(e.g. unshare -U -r -n) can be joined; this one belongs to the host's user namespace (made by root)");
            }
        } catch (IOException e) {
            Syscalls.close(owner);
            throw new LaunchException(field + ": cannot read its user namespace: " + e.getMessage(), e);
        }
        List<LinuxNamespace> namespaces = spec.linux().namespaces().stream()
                .map(n -> n.type().equals("user") ? new LinuxNamespace("user", ownerPath) : n).toList();
        Linux linux = spec.linux();
        return spec.withLinux(new Linux(List.of(), List.of(), linux.sysctl(), linux.resources(), linux.cgroupsPath(),
                namespaces, linux.devices(), linux.seccomp(), linux.rootfsPropagation(), linux.maskedPaths(),
                linux.readonlyPaths(), linux.mountLabel(), linux.intelRdt(), linux.personality(), linux.timeOffsets()));
    }

    /**
     * The pasta network a config asks for with {@link #ANNOTATION}, or null for none; the annotations are
     * checked (one line naming the annotation), the host ports are not (see {@link #requireFreeHostPorts}).
     */
    public static ContainerNetwork pastaOf(Spec spec) {
        String value = spec.annotations().get(ANNOTATION);
        String publish = spec.annotations().get(PUBLISH_ANNOTATION);
        if (value == null) {
            if (publish != null) {
                throw new LaunchException(field(PUBLISH_ANNOTATION) + ": needs " + field(ANNOTATION) + ": \"pasta\"");
            }
            return null;
        }
        if (!value.strip().equals("pasta")) {
            throw new LaunchException(field(ANNOTATION) + ": \"" + value + "\" is not a network Bulwark makes; the only "
                    + "one is \"pasta\" (a bundle sets the others in linux.namespaces)");
        }
        List<PublishedPort> ports = new ArrayList<>();
        if (publish != null && !publish.isBlank()) {
            for (String one : publish.split(",")) {
                ports.add(PublishedPort.parse(one, field(PUBLISH_ANNOTATION)));
            }
        }
        return new ContainerNetwork(Mode.PASTA, null, ports);
    }

    public static String field(String annotation) {
        return "annotations[\"" + annotation + "\"]";
    }

    /** The file at {@code path} must be a network namespace (NS_GET_NSTYPE), checked by the fd it is opened as. */
    private static void requireNetworkNamespace(String path) {
        String field = "--network: ns:" + path;
        int fd;
        try {
            fd = DirectoryCalls.openat(OpenFlags.AT_FDCWD, path, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            throw new LaunchException(field + ": cannot open it (" + e.getMessage() + ")");
        }
        try {
            if (Syscalls.ioctl(fd, CloneFlags.NS_GET_NSTYPE, 0) != CloneFlags.CLONE_NEWNET) {
                throw new LaunchException(field + ": a namespace file, but not a network namespace's");
            }
        } catch (SyscallException e) {
            throw new LaunchException(field + ": not a namespace file (make one with ip netns add NAME, or give "
                    + "/proc/PID/ns/net of a process)");
        } finally {
            Syscalls.close(fd);
        }
    }

    /** Rootless, pasta opens /dev/net/tun with the user's rights. */
    public static void requireTunUsable(String field) {
        Path tun = Path.of("/dev/net/tun");
        if (!Files.isReadable(tun) || !Files.isWritable(tun)) {
            throw new LaunchException(field + ": rootless pasta needs /dev/net/tun readable and writable by you (it is "
                    + "not here; Debian's udev makes it mode 0666: chmod 0666 /dev/net/tun as root)");
        }
    }

    /** pasta must be installed: one line naming {@code field} and the package otherwise. */
    public static void requirePasta(String field) {
        requirePasta(field, PASTA);
    }

    static void requirePasta(String field, Path pasta) {
        if (!Files.isRegularFile(pasta) || !Files.isExecutable(pasta)) {
            throw new LaunchException(field + ": " + pasta + " not found; install Debian's passt package");
        }
    }

    /**
     * Every host port must be free to bind now (pasta binds them when it starts): a port in use, an address
     * this host does not have, or a port below the unprivileged range is one line naming {@code field}.
     */
    public static void requireFreeHostPorts(List<PublishedPort> ports, String field) {
        for (PublishedPort port : ports) {
            InetSocketAddress address;
            try {
                address = new InetSocketAddress(InetAddress.getByName(port.hostAddress()), port.hostPort());
            } catch (UnknownHostException e) {
                throw new LaunchException(field + " " + port + ": " + port.hostAddress() + " is not an address");
            }
            try {
                bindOnce(address, port.udp());
            } catch (BindException e) {
                throw new LaunchException(field + " " + port + ": host port " + port.hostPort() + "/" + port.protocol()
                        + " on " + port.hostAddress() + " " + bindFailure(e));
            } catch (IOException e) {
                throw new LaunchException(field + " " + port + ": cannot bind host port " + port.hostPort() + " on "
                        + port.hostAddress() + ": " + e.getMessage());
            }
        }
    }

    private static void bindOnce(InetSocketAddress address, boolean udp) throws IOException {
        if (udp) {
            try (DatagramSocket socket = new DatagramSocket(null)) {
                socket.bind(address);
            }
        } else {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true); // as pasta binds: a connection in TIME_WAIT does not hold the port
                socket.bind(address);
            }
        }
    }

    private static String bindFailure(BindException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("in use")) {
            return "is in use";
        }
        if (message.contains("assign requested address")) {
            return "cannot be bound: the address is not one of this host's";
        }
        if (message.contains("Permission denied")) {
            return "needs privilege (below net.ipv4.ip_unprivileged_port_start); publish a higher host port";
        }
        return "cannot be bound: " + message;
    }

    /**
     * The container's /etc/resolv.conf for the built-in root: loopback only says so; the host's network
     * (host, a joined namespace) gets the host's file as it is; pasta gets its DNS forwarder (which
     * relays to the host's resolvers) with the host's search and options lines, as Podman writes it.
     */
    public static String resolvConf(Spec spec) {
        boolean ownNamespace = spec.linux() != null && spec.linux().createsNamespace("network");
        boolean pasta = spec.annotations().containsKey(ANNOTATION);
        if (ownNamespace && !pasta) {
            return "# no network but loopback\n";
        }
        String host = hostResolvConf();
        if (!ownNamespace) {
            return host;
        }
        StringBuilder text = new StringBuilder("# pasta forwards DNS queries to the host's resolvers\nnameserver " + PASTA_DNS + "\n");
        host.lines().map(String::strip).filter(l -> l.startsWith("search") || l.startsWith("options") || l.startsWith("domain"))
                .forEach(l -> text.append(l).append('\n'));
        return text.toString();
    }

    private static String hostResolvConf() {
        try {
            return Files.readString(Path.of("/etc/resolv.conf"));
        } catch (IOException e) {
            return "# the host has no readable /etc/resolv.conf\n";
        }
    }
}
