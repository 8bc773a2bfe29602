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
 * step, so the interface exists before the workload runs; the child is forked and makes itself dumpable
 * while it waits (the CLI launcher turns non-dumpable only after the id maps), so a rootless pasta, running as the launcher's user,
 * may open the child's /proc/PID/ns files; as root the launcher opens the network namespace itself and
 * hands it over as pasta's stdin (pasta keeps too few capabilities to open it for an init that has all of
 * them, as in a config without a user namespace). pasta writes its pid (to {@code -P}, our pipe) once the namespace is
 * configured and its ports are bound, which is the readiness signal. It holds the namespace open and this
 * version does not quit when the container ends (it watches only namespaces bound to a file, and inotify
 * sees nothing in /proc), so it is always ended by Bulwark:
 * <ul>
 * <li>{@code run} (foreground): pasta runs in the foreground as the launcher's own child, in a session of
 * its own (setsid: a Ctrl-C at the terminal reaches the launcher's process group, which forwards it to
 * the workload, never pasta, so the network stays up during a graceful stop); it is stopped by that
 * child's handle (SIGTERM, then SIGKILL) when the container ends, and gets SIGKILL as its parent-death
 * signal (setpriv --pdeathsig) if the launcher is killed first.</li>
 * <li>{@code create} and {@code run --detach}: no launcher stays, so pasta daemonises itself (it forks,
 * writes the daemon's pid, which the state directory records with its start time ({@link #detachedIdentity}),
 * and the daemon calls setsid); {@code delete} (and the cleanup of a stale id) SIGKILLs that process after
 * the container's, once its pid still names the pasta recorded.</li>
 * </ul>
 * As root this pasta version would
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
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    /**
     * pasta's command names (/proc/PID/stat): with the start time, what a recorded pid must still show to be
     * killed. pasta re-executes its build for the CPU (passt.avx2), which renames it.
     */
    private static final java.util.regex.Pattern COMMAND_NAME = java.util.regex.Pattern.compile("pas(ta|st)(\\.avx2)?");

    private final ContainerNetwork network;
    private final boolean rootless;
    private final String field;
    /** create and run --detach: pasta daemonises and outlives this launcher. */
    private final boolean detached;
    private Process pasta;
    /** The daemon of a detached pasta, until {@link #keep()}: then delete ends it. */
    private ProcessIdentity daemon;

    private PastaNetwork(ContainerNetwork network, boolean rootless, String field, boolean detached) {
        this.network = network;
        this.rootless = rootless;
        this.field = field;
        this.detached = detached;
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
        return new PastaNetwork(network, rootless, field, detached);
    }

    /** The command line for the child {@code pid}'s namespaces. */
    List<String> command(int pid) {
        List<String> command = new ArrayList<>(List.of(ContainerNetwork.PASTA.toString()));
        if (!detached) {
            command.add("--foreground");
        }
        command.addAll(List.of("--quiet", "--config-net", "--no-map-gw", "--dns-forward", ContainerNetwork.PASTA_DNS));
        if (!rootless) {
            command.addAll(List.of("--runas", "0:0"));
        }
        ports(command, "-t", false);
        ports(command, "-u", true);
        command.addAll(List.of("-T", "none", "-U", "none"));
        command.addAll(List.of("-P", "/proc/self/fd/1")); // our pipe: the (daemon's) pid is written once pasta is ready
        if (rootless) {
            command.addAll(List.of("--userns", "/proc/" + pid + "/ns/user"));
        }
        // As root the launcher opens the namespace and hands it over as stdin: pasta keeps only three capabilities,
        // and opening /proc/PID/ns/net of an init with all of them (a config without a user namespace) needs CAP_SYS_PTRACE.
        command.addAll(List.of("--netns", rootless ? "/proc/" + pid + "/ns/net" : "/proc/self/fd/0"));
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
        if (!detached) {
            if (Files.isExecutable(SETPRIV)) {
                command.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--")); // sets it, then execs setsid
            }
            if (Files.isExecutable(SETSID)) {
                command.add(SETSID.toString()); // not a group leader (the JVM's child): setsid() then exec, no fork
            } else {
                LOG.log(System.Logger.Level.WARNING, SETSID + " is missing (util-linux): pasta shares the launcher's "
                        + "process group, and a Ctrl-C at the terminal reaches it too");
            }
        }
        command.addAll(command(pid));
        java.io.File input = new java.io.File(rootless ? "/dev/null" : "/proc/" + pid + "/ns/net"); // opened by this process
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(input));
        pasta = detached ? start(builder) : startFromKeeperThread(builder);
        ErrorText errors = ErrorText.drain(pasta.getErrorStream());
        boolean ready = detached ? awaitDaemon() : awaitReady();
        if (!ready) {
            String reason = failureReason(errors);
            close();
            throw new LaunchException(reason);
        }
    }

    /**
     * create and run --detach: the daemon pasta left running, by pid and start time, for the state
     * directory ({@link StateDirectory#recordPasta}); null for a foreground run.
     */
    ProcessIdentity detachedIdentity() {
        return daemon;
    }

    /** create succeeded: the daemon now lives with the container, and {@code delete} ends it ({@link #end}). */
    void keep() {
        daemon = null;
    }

    private Process start(ProcessBuilder builder) {
        try {
            return builder.start();
        } catch (IOException e) {
            throw new LaunchException(field + ": cannot start " + ContainerNetwork.PASTA + ": " + e.getMessage(), e);
        }
    }

    /**
     * A daemonising pasta: its first process writes the daemon's pid once the namespace is configured and
     * the ports are bound, then exits 0; anything else is a failure. The daemon's pid must then still name
     * a pasta process.
     */
    private boolean awaitDaemon() {
        if (!waitQuietly(READY_TIMEOUT_MILLIS) || pasta.exitValue() != 0) {
            return false;
        }
        try {
            InputStream written = pasta.getInputStream();
            String pid = new String(written.readNBytes(Math.min(written.available(), 32)), StandardCharsets.US_ASCII).strip();
            if (!pid.matches("[1-9][0-9]{0,9}")) {
                return false;
            }
            daemon = ProcessIdentity.current(Integer.parseInt(pid)).filter(PastaNetwork::isPasta).orElse(null);
            return daemon != null;
        } catch (IOException | NumberFormatException e) {
            return false;
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

    /**
     * Stops a foreground pasta (our child, so its pid cannot have been reused): SIGTERM, then SIGKILL; it is
     * reaped. A detached one that was not {@linkplain #keep() kept} (the launch failed) is ended as delete ends it.
     */
    @Override
    public void close() {
        if (daemon != null) {
            ProcessIdentity started = daemon;
            daemon = null;
            end(started);
        }
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

    /**
     * Ends the detached pasta {@code recorded} (delete): SIGKILL through a pidfd once the pid still names
     * that pasta (its start time and command name, checked again after pidfd_open, so a reused pid is never
     * signalled), then waits up to 5 s for it to go, which closes its published ports. Nothing when it is gone.
     */
    static void end(ProcessIdentity recorded) {
        if (!recorded.alive() || !isPasta(recorded)) {
            return;
        }
        int pidfd;
        try {
            pidfd = dev.bulwark.nativ.DirectoryCalls.pidfdOpen(recorded.pid());
        } catch (dev.bulwark.nativ.SyscallException e) {
            return; // ESRCH: gone meanwhile
        }
        try {
            if (!recorded.alive() || !isPasta(recorded)) {
                return; // the pid was reused between the check and pidfd_open
            }
            dev.bulwark.nativ.Syscalls.pidfdSendSignal(pidfd, dev.bulwark.nativ.constants.Signals.SIGKILL);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (recorded.alive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (recorded.alive()) {
                LOG.log(System.Logger.Level.WARNING, "pasta (pid " + recorded.pid() + ") still runs 5 s after SIGKILL");
            }
        } catch (dev.bulwark.nativ.SyscallException e) {
            if (e.errno() != dev.bulwark.nativ.Errno.ESRCH) {
                LOG.log(System.Logger.Level.WARNING, "pasta (pid " + recorded.pid() + "): " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            dev.bulwark.nativ.Syscalls.close(pidfd);
        }
    }

    /** Whether the process runs pasta: its command name in /proc/PID/stat (its exe link is closed to others once pasta turns non-dumpable). */
    private static boolean isPasta(ProcessIdentity process) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(process.pid()), "stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            return COMMAND_NAME.matcher(name).matches();
        } catch (IOException | IndexOutOfBoundsException e) {
            return false;
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
