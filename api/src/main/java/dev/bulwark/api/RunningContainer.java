package dev.bulwark.api;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.ContainerRun;
import dev.bulwark.launcher.runtime.NarrationStream;
import dev.bulwark.launcher.runtime.RunRequest;
import dev.bulwark.launcher.runtime.RunResult;
import dev.bulwark.launcher.setup.Narration;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.constants.Signals;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A started container. Its stdin is /dev/null; its stdout and stderr are pipes this JVM reads (never the
 * JVM's own fds), available as streams and as text. It is launched and waited for by a thread of its
 * own: the container's init gets SIGKILL as its parent-death signal when the thread that cloned it ends,
 * so that thread lives exactly as long as the container. {@link #close()} kills it and removes what it
 * left (state directory, cgroup); it is idempotent and safe from any thread. A container never closed
 * still dies with the JVM.
 */
public final class RunningContainer implements AutoCloseable {
    private static final long CLOSE_WAIT_SECONDS = 30;

    private final ContainerBuilder.Launch launch;
    private final OutputCapture stdout = new OutputCapture();
    private final OutputCapture stderr = new OutputCapture();
    private final ByteArrayOutputStream narration = new ByteArrayOutputStream();
    private final CompletableFuture<RunRequest.Running> running = new CompletableFuture<>();
    private final CompletableFuture<RunResult> ended = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The child's ends (stdin, stdout, stderr): this JVM's copies are closed once the child has its own. */
    private final int[] childEnds;
    private final AtomicBoolean childEndsClosed = new AtomicBoolean();
    private Thread launcher;

    private RunningContainer(ContainerBuilder.Launch launch, int[] childEnds) {
        this.launch = launch;
        this.childEnds = childEnds;
    }

    static RunningContainer start(ContainerBuilder.Launch launch) {
        int input = -1;
        int[] out = null;
        int[] err = null;
        try {
            input = DirectoryCalls.openat(OpenFlags.AT_FDCWD, "/dev/null", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
            out = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
            err = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        } catch (SyscallException e) {
            closeAll(input, out == null ? -1 : out[0], out == null ? -1 : out[1], err == null ? -1 : err[0], err == null ? -1 : err[1]);
            throw ContainerException.launching(e);
        }
        RunningContainer container = new RunningContainer(launch, new int[] {input, out[1], err[1]});
        container.pump(out[0], container.stdout, "stdout");
        container.pump(err[0], container.stderr, "stderr");
        PrintStream explain = launch.explain()
                ? new NarrationStream(container.narration, Narration.Detail.BRIEF) : null;
        RunRequest request = new RunRequest(launch.spec(), launch.bundle(), launch.id(), launch.hostUsrRoot(),
                launch.stateRoot(), launch.hostRootAllowed(), launch.hostIdRange(), explain, null, null, launch.lsm(),
                null, null, new RunRequest.Embedded(input, out[1], err[1], container.running::complete));
        // A platform thread per container: it clones the init and waits for it, so it outlives it (PDEATHSIG).
        container.launcher = new Thread(() -> container.launchAndWait(request), "bulwark-" + launch.id());
        container.launcher.setDaemon(true);
        container.launcher.start();
        try {
            container.running.get();
            container.closeChildEnds(); // the workload runs: it holds its own copies
            if (launch.readyText() != null && !container.awaitOutput(launch.readyText(), launch.readyTimeout())) {
                String state = container.isRunning() ? "still no such line after " + launch.readyTimeout()
                        : "it ended (exit status " + container.exitStatus() + ")";
                String output = "; stdout: " + container.stdoutText().strip() + "; stderr: " + container.stderrText().strip();
                container.close();
                throw new ContainerException("readyWhenOutput: container " + launch.id() + " never wrote \""
                        + launch.readyText() + "\": " + state + output, "ready", "readyWhenOutput",
                        LaunchException.LAUNCHER_ERROR, null);
            }
            return container;
        } catch (ExecutionException e) {
            container.close();
            throw ContainerException.launching(e.getCause());
        } catch (InterruptedException e) {
            container.close();
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while starting container " + launch.id(), "launch", "",
                    LaunchException.LAUNCHER_ERROR, e);
        }
    }

    private void launchAndWait(RunRequest request) {
        try {
            RunResult result = ContainerRun.run(request);
            running.completeExceptionally(new IllegalStateException("ended before it ran")); // no-op once it ran
            ended.complete(result);
        } catch (Throwable e) {
            running.completeExceptionally(e);
            ended.completeExceptionally(e);
        } finally {
            closeChildEnds();
        }
    }

    private void pump(int fd, OutputCapture capture, String name) {
        Thread pump = new Thread(() -> {
            try {
                for (byte[] chunk; (chunk = Syscalls.read(fd, 65536)).length > 0; ) {
                    capture.append(chunk);
                }
            } catch (SyscallException e) {
                System.getLogger("dev.bulwark.api").log(System.Logger.Level.WARNING,
                        "container " + launch.id() + ": reading its " + name + ": " + e.getMessage());
            } finally {
                capture.end();
                closeAll(fd);
            }
        }, "bulwark-" + launch.id() + "-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    private void closeChildEnds() {
        if (childEndsClosed.compareAndSet(false, true)) {
            closeAll(childEnds);
        }
    }

    private static void closeAll(int... fds) {
        for (int fd : fds) {
            if (fd >= 0) {
                try {
                    Syscalls.close(fd);
                } catch (SyscallException e) {
                    // nothing else holds it: the close itself released it
                }
            }
        }
    }

    public String id() {
        return launch.id();
    }

    /** The container's init as the host sees it. */
    public int pid() {
        return running.join().pid();
    }

    /** The host port published for the container's {@code containerPort} (the one chosen when 0 was asked for). */
    public int hostPort(int containerPort) {
        Integer port = launch.hostPorts().get(containerPort);
        if (port == null) {
            throw new IllegalArgumentException("container port " + containerPort + " is not published; published: "
                    + launch.hostPorts().keySet());
        }
        return port;
    }

    /** Everything published: container port to host port. */
    public Map<Integer, Integer> hostPorts() {
        return launch.hostPorts();
    }

    /** The container's stdout from its first byte; ends when every process of the container has. */
    public InputStream stdout() {
        return stdout.stream();
    }

    public InputStream stderr() {
        return stderr.stream();
    }

    /** Its stdout so far (all of it once {@link #waitFor} returned true). */
    public String stdoutText() {
        return stdout.text();
    }

    public String stderrText() {
        return stderr.text();
    }

    /** The launch's narration (each layer set up, one line each) when the builder asked for it; else "". */
    public String explanation() {
        synchronized (narration) {
            return narration.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits until its stdout or stderr contains {@code text}; false if it did not within {@code timeout} or ended without. */
    public boolean awaitOutput(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long slice = TimeUnit.MILLISECONDS.toNanos(20);
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                boolean stdoutOpen = !stdout.awaitEnd(0, TimeUnit.NANOSECONDS);
                // wait on whichever stream is still open (stdout first): the other is checked each slice
                if (stdoutOpen ? stdout.awaitText(text, Math.max(0, Math.min(slice, left))) || stderr.awaitText(text, 0)
                        : stdout.awaitText(text, 0) || stderr.awaitText(text, Math.max(0, Math.min(slice, left)))) {
                    return true;
                }
                if (left <= 0 || (!stdoutOpen && stderr.awaitEnd(0, TimeUnit.NANOSECONDS))) {
                    return false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public boolean isRunning() {
        return !ended.isDone();
    }

    /** Waits for the container to end and its output to be complete; false if it still runs after {@code timeout}. */
    public boolean waitFor(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            ended.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            // reported by exitStatus() and result()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            long left = Math.max(0, deadline - System.nanoTime());
            return stdout.awaitEnd(left + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS)
                    && stderr.awaitEnd(TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The exit status (shell convention: 128 + signal when killed); throws while it runs. */
    public int exitStatus() {
        return result().exitStatus();
    }

    /** How it ended, with its output; throws {@link IllegalStateException} while it runs. */
    public ContainerResult result() {
        if (!ended.isDone()) {
            throw new IllegalStateException("container " + id() + " is still running");
        }
        try {
            RunResult r = ended.join();
            return new ContainerResult(r.id(), r.exitStatus(), r.signal(), stdout.text(), stderr.text(), r.durationMillis(),
                    r.oomKilled());
        } catch (java.util.concurrent.CompletionException e) {
            throw ContainerException.launching(e.getCause());
        }
    }

    /** Sends {@code signal} to the container's init (through its pidfd: never a recycled pid); nothing once it ended. */
    public void signal(int signal) {
        running.join().stop().signal(signal);
    }

    /** SIGTERM, then SIGKILL (its cgroup and its pid namespace) if it still runs after {@code grace}; waits for the end. */
    public ContainerResult stop(Duration grace) {
        signal(Signals.SIGTERM);
        if (!waitFor(grace)) {
            running.join().stop().killNow();
            waitFor(Duration.ofSeconds(CLOSE_WAIT_SECONDS));
        }
        return result();
    }

    /** Kills the container if it runs and waits until the launch cleaned up (state directory, cgroup); idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            running.get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS); // a start interrupted half-way: the launch finishes first
        } catch (ExecutionException | TimeoutException e) {
            // failed: nothing runs; timed out: the join below bounds the wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (running.isDone() && !running.isCompletedExceptionally()) {
            running.join().stop().killNow();
        }
        try {
            if (launcher != null) {
                launcher.join(TimeUnit.SECONDS.toMillis(CLOSE_WAIT_SECONDS));
            }
            stdout.awaitEnd(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            stderr.awaitEnd(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "container " + id() + (isRunning() ? " (running)" : " (ended)");
    }
}
