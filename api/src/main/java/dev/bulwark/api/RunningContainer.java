package dev.bulwark.api;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.ContainerRun;
import dev.bulwark.launcher.runtime.NarrationStream;
import dev.bulwark.launcher.runtime.RunRequest;
import dev.bulwark.launcher.runtime.RunResult;
import dev.bulwark.launcher.setup.Narration;
import dev.bulwark.nativ.constants.Signals;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
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
 * A started container. Its stdin is /dev/null, or a pipe this JVM writes ({@link ContainerBuilder#openStdin()});
 * its stdout and stderr are pipes this JVM reads (never the JVM's own fds), available as streams and as text,
 * each kept up to the output limit. It is launched and waited for by a thread of its
 * own: the container's init gets SIGKILL as its parent-death signal when the thread that cloned it ends,
 * so that thread lives exactly as long as the container. {@link #close()} kills it and removes what it
 * left (state directory, cgroup); it is idempotent and safe from any thread. A container never closed
 * still dies with the JVM.
 */
public final class RunningContainer implements AutoCloseable {
    private static final long CLOSE_WAIT_SECONDS = 30;

    private final ContainerBuilder.Launch launch;
    private final ProcessStdio stdio;
    private final ByteArrayOutputStream narration = new ByteArrayOutputStream();
    private final CompletableFuture<RunRequest.Running> running = new CompletableFuture<>();
    private final CompletableFuture<RunResult> ended = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Processes exec'd in it that may still run: close waits for their reaping. */
    private final java.util.Set<ExecProcess> execs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private Thread launcher;

    private RunningContainer(ContainerBuilder.Launch launch, ProcessStdio stdio) {
        this.launch = launch;
        this.stdio = stdio;
    }

    static RunningContainer start(ContainerBuilder.Launch launch) {
        ProcessStdio stdio;
        try {
            stdio = ProcessStdio.open(launch.openStdin(), launch.outputLimit(), "bulwark-" + launch.id());
        } catch (RuntimeException e) {
            launch.copies().remove();
            throw e;
        }
        RunningContainer container = new RunningContainer(launch, stdio);
        PrintStream explain = launch.explain()
                ? new NarrationStream(container.narration, Narration.Detail.BRIEF) : null;
        RunRequest request = new RunRequest(launch.spec(), launch.bundle(), launch.id(), launch.hostUsrRoot(),
                launch.stateRoot(), launch.hostRootAllowed(), launch.hostIdRange(), explain, null, null, launch.lsm(),
                null, null, new RunRequest.Embedded(stdio.childStdin(), stdio.childStdout(), stdio.childStderr(),
                container.running::complete, launch.memo()));
        // A platform thread per container: it clones the init and waits for it, so it outlives it (PDEATHSIG).
        container.launcher = new Thread(() -> container.launchAndWait(request), "bulwark-" + launch.id());
        container.launcher.setDaemon(true);
        container.launcher.start();
        try {
            container.running.get();
            stdio.closeChildEnds(); // the workload runs: it holds its own copies
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
            stdio.closeChildEnds();
            stdio.closeStdin(); // nothing reads it any more
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

    /**
     * The container's stdin, with {@link ContainerBuilder#openStdin()}: what is written reaches the workload;
     * close it for end-of-file. Writes after the workload closed it fail with an IOException (EPIPE).
     */
    public OutputStream stdin() {
        return stdio.stdin("container " + id());
    }

    /** The container's stdout from its first byte (up to the output limit); ends when every process of the container has. */
    public InputStream stdout() {
        return stdio.stdout.stream();
    }

    public InputStream stderr() {
        return stdio.stderr.stream();
    }

    /** Its stdout so far (all of it once {@link #waitFor} returned true), with a last line saying so when truncated. */
    public String stdoutText() {
        return stdio.stdout.text();
    }

    public String stderrText() {
        return stdio.stderr.text();
    }

    /** Whether stdout or stderr wrote more than the output limit (the rest was dropped). */
    public boolean outputTruncated() {
        return stdio.truncated();
    }

    /**
     * Runs {@code command} in the container (as {@code bulwark exec}: its namespaces, cgroup and the init's whole
     * confinement) and waits for it, at most 10 minutes; its status and output. See {@link #newExec}.
     */
    public ContainerResult exec(String... command) {
        return newExec(command).run();
    }

    /** A process to run in this container: set it up, then {@link ExecBuilder#start()} or {@link ExecBuilder#run()}. */
    public ExecBuilder newExec(String... command) {
        return new ExecBuilder(this, java.util.List.of(command));
    }

    ContainerBuilder.Launch launch() {
        return launch;
    }

    /** Registers a started exec; false (and it is not registered) once the container is closing. */
    boolean track(ExecProcess process) {
        execs.add(process);
        if (closed.get()) {
            execs.remove(process);
            return false;
        }
        return true;
    }

    void untrack(ExecProcess process) {
        execs.remove(process);
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
                OutputCapture stdout = stdio.stdout;
                OutputCapture stderr = stdio.stderr;
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
        return stdio.awaitEnd(ended, timeout);
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
            return new ContainerResult(r.id(), r.exitStatus(), r.signal(), stdio.stdout.text(), stdio.stderr.text(),
                    r.durationMillis(), r.oomKilled());
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
            for (ExecProcess exec : execs) { // killed with the container's pid namespace: reaped by their threads
                exec.awaitReaped(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            }
            stdio.stdout.awaitEnd(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            stdio.stderr.awaitEnd(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stdio.closeStdin();
            launch.copies().remove(); // the container is gone: nothing binds them any more
        }
    }

    @Override
    public String toString() {
        return "container " + id() + (isRunning() ? " (running)" : " (ended)");
    }
}
