package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.ContainerNetwork;
import dev.bulwark.launcher.plan.PublishedPort;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * pasta (Debian's passt package) connected to the container's new network namespace from the host, as
 * Podman 5 runs it: {@code --config-net} gives the namespace an interface with the host's address, routes
 * and lo up; {@code -t}/{@code -u} publish exactly the {@code --publish} ports ({@code none} otherwise, and
 * {@code -T none -U none}: the container never reaches the host's loopback services); {@code --no-map-gw}
 * keeps the gateway address from meaning the host; DNS sent to {@value ContainerNetwork#PASTA_DNS} is
 * forwarded to the host's resolvers.
 *
 * <p>It is attached right after clone, while the child still waits for the launcher before any setup
 * step, so the interface exists before the workload runs; the launcher's process is still dumpable
 * then (it turns non-dumpable after the id maps), so pasta, running as the launcher's user, may open
 * the child's /proc/PID/ns files. pasta runs in the foreground as the launcher's own child: it writes its
 * pid (to {@code -P}, our pipe) once the namespace is configured and its ports are bound, which is the
 * readiness signal; it is stopped by that child's handle (SIGTERM, then SIGKILL) when the container ends,
 * since it holds the namespace open and would not quit by itself, and gets SIGKILL as its parent-death
 * signal (setpriv --pdeathsig) if the launcher is killed first. As root this pasta version would
 * drop to user nobody and all capabilities before opening the namespace, so it gets {@code --runas 0:0}:
 * it then keeps uid 0 with only CAP_NET_ADMIN, CAP_NET_BIND_SERVICE and CAP_SYS_ADMIN. Rootless, it joins
 * the container's user namespace ({@code --userns}), which gives it its capabilities over the network
 * namespace, and needs /dev/net/tun to be usable by the user (Debian's udev makes it 0666).
 */
final class PastaNetwork implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private static final long READY_TIMEOUT_MILLIS = 10_000;
    private static final int ERROR_TEXT_LIMIT = 4096;
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private final ContainerNetwork network;
    private final boolean rootless;
    private final String field;
    private Process pasta;

    private PastaNetwork(ContainerNetwork network, boolean rootless, String field) {
        this.network = network;
        this.rootless = rootless;
        this.field = field;
    }

    /**
     * The pasta {@code spec} asks for ({@link ContainerNetwork#ANNOTATION}), checked before the clone
     * (the caller removes the state directory and cgroup on failure), or null for none.
     */
    static PastaNetwork plan(Spec spec, boolean rootless, boolean builtIn, boolean detached) {
        ContainerNetwork network = ContainerNetwork.pastaOf(spec);
        if (network == null) {
            return null;
        }
        String field = builtIn ? "--network pasta" : ContainerNetwork.field(ContainerNetwork.ANNOTATION);
        ContainerNetwork.requirePasta(field);
        if (detached) {
            throw new LaunchException(field + ": needs a foreground run (bulwark run): pasta ends with the launcher that "
                    + "started it, and create returns before the container does");
        }
        boolean joins = spec.linux().namespaces().stream().anyMatch(n -> n.path() != null && !n.path().isEmpty());
        if (!spec.linux().createsNamespace("network") || joins) {
            throw new LaunchException(field + ": pasta needs a new network namespace made at clone (linux.namespaces "
                    + "lists \"network\" without a path, and joins no other namespace)");
        }
        if (rootless) {
            ContainerNetwork.requireTunUsable(field);
        }
        ContainerNetwork.requireFreeHostPorts(network.ports(),
                builtIn ? "--publish" : ContainerNetwork.field(ContainerNetwork.PUBLISH_ANNOTATION));
        return new PastaNetwork(network, rootless, field);
    }

    /** The command line for the child {@code pid}'s namespaces. */
    List<String> command(int pid) {
        List<String> command = new ArrayList<>(List.of(ContainerNetwork.PASTA.toString(), "--foreground", "--quiet",
                "--config-net", "--no-map-gw", "--dns-forward", ContainerNetwork.PASTA_DNS));
        if (!rootless) {
            command.addAll(List.of("--runas", "0:0"));
        }
        ports(command, "-t", false);
        ports(command, "-u", true);
        command.addAll(List.of("-T", "none", "-U", "none"));
        command.addAll(List.of("-P", "/proc/self/fd/1")); // our pipe: the pid is written once pasta is ready
        if (rootless) {
            command.addAll(List.of("--userns", "/proc/" + pid + "/ns/user"));
        }
        command.addAll(List.of("--netns", "/proc/" + pid + "/ns/net"));
        return command;
    }

    /** One option per port: pasta's address prefix covers a whole option, so ports on different addresses cannot share one. */
    private void ports(List<String> command, String option, boolean udp) {
        List<String> specs = network.ports().stream().filter(p -> p.udp() == udp).map(PublishedPort::pastaSpec).toList();
        if (specs.isEmpty()) {
            command.addAll(List.of(option, "none"));
        }
        specs.forEach(spec -> command.addAll(List.of(option, spec)));
    }

    /**
     * Starts pasta for the cloned child {@code pid} and returns once the namespace is configured; a
     * failure is one line naming the flag (a host port taken meanwhile names the port).
     */
    void attach(int pid) {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETPRIV)) {
            command.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--")); // sets it, then execs pasta
        }
        command.addAll(command(pid));
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pasta = startFromKeeperThread(builder);
        ErrorText errors = ErrorText.drain(pasta.getErrorStream());
        if (!awaitReady()) {
            String reason = failureReason(errors);
            close();
            throw new LaunchException(reason);
        }
    }

    /**
     * Starts pasta from a thread of its own that lives until pasta ends: the parent-death signal (set by
     * setpriv) follows the thread that forked, not the process, and the clone's work runs on a thread that
     * ends once the child is released. So pasta dies with the launcher even when the launcher is killed
     * (it would otherwise hold the namespace and the published ports forever).
     */
    private Process startFromKeeperThread(ProcessBuilder builder) {
        CompletableFuture<Process> started = new CompletableFuture<>();
        Thread keeper = new Thread(null, () -> {
            Process process;
            try {
                process = builder.start();
            } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
                return;
            }
            started.complete(process);
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bulwark-pasta", 256 * 1024);
        keeper.setDaemon(true);
        keeper.start();
        try {
            return started.get();
        } catch (ExecutionException e) {
            throw new LaunchException(field + ": cannot start " + ContainerNetwork.PASTA + ": " + e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LaunchException(field + ": interrupted while starting " + ContainerNetwork.PASTA, e);
        }
    }

    /** Whether pasta wrote its pid (configured, ports bound) before it ended or the timeout passed. */
    private boolean awaitReady() {
        InputStream ready = pasta.getInputStream();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        try {
            while (System.nanoTime() < deadline) {
                if (ready.available() > 0) {
                    return true;
                }
                if (!pasta.isAlive()) {
                    return ready.available() > 0;
                }
                Thread.sleep(2);
            }
            return false;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String failureReason(ErrorText errors) {
        boolean ended = waitQuietly(500);
        String said = errors.text(ended);
        for (PublishedPort port : network.ports()) {
            if (said.contains("'" + (port.udp() ? "-u " : "-t ") + port.pastaSpec() + "'")) {
                return "--publish " + port + ": host port " + port.hostPort() + "/" + port.protocol() + " on "
                        + port.hostAddress() + " cannot be bound (in use?): pasta: " + said;
            }
        }
        String status = ended ? "exited with status " + pasta.exitValue() : "not ready after " + READY_TIMEOUT_MILLIS + " ms";
        return field + ": " + ContainerNetwork.PASTA + " " + status + (said.isEmpty() ? "" : ": " + said);
    }

    private boolean waitQuietly(long millis) {
        try {
            return pasta.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops pasta (our child, so its pid cannot have been reused): SIGTERM, then SIGKILL; it is reaped. */
    @Override
    public void close() {
        if (pasta == null) {
            return;
        }
        Process running = pasta;
        pasta = null;
        running.destroy();
        try {
            if (!running.waitFor(2, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "pasta (pid " + running.pid() + ") did not end on SIGTERM; killing it");
                running.destroyForcibly();
                running.waitFor();
            }
        } catch (InterruptedException e) {
            running.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** pasta's stderr, read by a small thread so pasta never blocks on it; keeps the first few KiB, without syslog noise. */
    private static final class ErrorText {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final Thread reader;

        private ErrorText(InputStream stream) {
            reader = new Thread(null, () -> read(stream), "bulwark-pasta-stderr", 64 * 1024);
            reader.setDaemon(true);
        }

        static ErrorText drain(InputStream stream) {
            ErrorText text = new ErrorText(stream);
            text.reader.start();
            return text;
        }

        private void read(InputStream stream) {
            byte[] buffer = new byte[1024];
            try (stream) {
                for (int n; (n = stream.read(buffer)) > 0; ) {
                    synchronized (kept) {
                        if (kept.size() < ERROR_TEXT_LIMIT) {
                            kept.write(buffer, 0, Math.min(n, ERROR_TEXT_LIMIT - kept.size()));
                        }
                    }
                }
            } catch (IOException e) {
                // pasta is gone
            }
        }

        /** What pasta said, on one line; {@code ended}: wait for the rest of it first. */
        String text(boolean ended) {
            if (ended) {
                try {
                    reader.join(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String all;
            synchronized (kept) {
                all = kept.toString(StandardCharsets.UTF_8);
            }
            return String.join("; ", all.lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("Failed to send") ).toList());
        }
    }
}
