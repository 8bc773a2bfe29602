package dev.bulwark.api;

import dev.bulwark.config.model.Process;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.EnvironmentFlags;
import dev.bulwark.launcher.runtime.ContainerExec;
import dev.bulwark.launcher.setup.ChildProgram;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * A process exec'd in a running container ({@link RunningContainer#newExec}). A thread of its own starts it
 * and waits for it; it is a child of this JVM in the container's pid namespace, so it ends at the latest with
 * the container ({@link RunningContainer#close()} kills both). {@link #close()} closes its stdin and leaves it
 * running.
 */
public final class ExecProcess implements AutoCloseable {
    /** How long a start may take before it fails: the launcher's steps are bounded, so only a stuck machine reaches it. */
    static final Duration START_WAIT = Duration.ofSeconds(60);
    private final RunningContainer container;
    private final List<String> command;
    private final ProcessStdio stdio;
    private final CompletableFuture<Integer> pid = new CompletableFuture<>();
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();

    private ExecProcess(RunningContainer container, List<String> command, ProcessStdio stdio) {
        this.container = container;
        this.command = command;
        this.stdio = stdio;
    }

    static ExecProcess start(RunningContainer container, List<String> command, List<String> env, String workdir,
                             boolean openStdin, long outputLimit) {
        if (workdir != null && !workdir.startsWith("/")) {
            throw new ContainerException("workdir: \"" + workdir + "\" must be an absolute path", "configure", "workdir",
                    LaunchException.LAUNCHER_ERROR, null);
        }
        ProcessStdio stdio = ProcessStdio.open(openStdin, outputLimit, "bulwark-exec-" + container.id());
        ExecProcess process = new ExecProcess(container, command, stdio);
        if (!container.track(process)) {
            stdio.closeChildEnds();
            stdio.closeStdin();
            throw new ContainerException("container " + container.id() + " is closed: nothing to exec in", "exec", "",
                    ContainerExec.EXEC_FAILED, null);
        }
        Thread waiter;
        try {
            UnaryOperator<Process> withCommand = recorded -> {
                Process p = recorded.withArgs(command).withTerminal(false)
                        .withEnv(EnvironmentFlags.merge(recorded.env(), List.of(), env, Map.of()));
                return workdir == null ? p : p.withCwd(workdir);
            };
            ContainerExec.Request request = new ContainerExec.Request(container.launch().stateRoot(), container.id(),
                    withCommand, false, null, 0, false, false, false, null, new ContainerExec.Embedded(new ChildProgram.Stdio(
                    stdio.childStdin(), stdio.childStdout(), stdio.childStderr()), process.pid::complete));
            waiter = new Thread(() -> process.execAndWait(request), "bulwark-exec-" + container.id());
            waiter.setDaemon(true);
            waiter.start();
        } catch (RuntimeException | Error e) {
            process.ended.completeExceptionally(e);
            container.untrack(process);
            stdio.closeChildEnds();
            stdio.closeStdin();
            throw e;
        }
        try {
            process.pid.get(START_WAIT.toNanos(), TimeUnit.NANOSECONDS);
            stdio.closeChildEnds(); // it runs with its own copies
            return process;
        } catch (TimeoutException e) {
            // should it run after all, its stdin is at end-of-file and it ends at the latest with the container,
            // which still tracks it; its waiting thread closes the rest
            stdio.closeStdin();
            throw new ContainerException("exec " + command + " in container " + container.id() + " was not running after "
                    + START_WAIT, "exec", "", LaunchException.LAUNCHER_ERROR, e);
        } catch (ExecutionException e) {
            throw wrap(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while starting exec " + command + " in container " + container.id(),
                    "exec", "", LaunchException.LAUNCHER_ERROR, e);
        }
    }

    private void execAndWait(ContainerExec.Request request) {
        try {
            ended.complete(ContainerExec.exec(request));
            pid.completeExceptionally(new IllegalStateException("ended before it ran")); // no-op once it ran
        } catch (Throwable e) {
            pid.completeExceptionally(e);
            ended.completeExceptionally(e);
        } finally {
            stdio.closeChildEnds();
            stdio.closeStdin();
            container.untrack(this);
        }
    }

    /** A failed exec: the launcher's one line, step "exec", the field it names (process.args[0], process.cwd, ...). */
    private static ContainerException wrap(Throwable e) {
        ContainerException wrapped = ContainerException.launching(e);
        return wrapped.step().equals("launch") || wrapped.step().equals("setup")
                ? new ContainerException(wrapped.getMessage(), "exec", wrapped.field(), wrapped.exitStatus(), e) : wrapped;
    }

    /** Its host pid. */
    public int pid() {
        return pid.join();
    }

    /** Its stdin, with {@link ExecBuilder#openStdin()}; close it for end-of-file. */
    public OutputStream stdin() {
        return stdio.stdin("exec " + command);
    }

    public InputStream stdout() {
        return stdio.stdout.stream();
    }

    public InputStream stderr() {
        return stdio.stderr.stream();
    }

    public String stdoutText() {
        return stdio.stdout.text();
    }

    public String stderrText() {
        return stdio.stderr.text();
    }

    public boolean outputTruncated() {
        return stdio.truncated();
    }

    public boolean isRunning() {
        return !ended.isDone();
    }

    /** Waits for it to end and its output to be complete; false if it still runs after {@code timeout}. */
    public boolean waitFor(Duration timeout) {
        return stdio.awaitEnd(ended, timeout);
    }

    /** Until its waiting thread reaped it (the container's close kills it first). */
    void awaitReaped(long timeout, TimeUnit unit) {
        try {
            ended.get(timeout, unit);
        } catch (ExecutionException | TimeoutException e) {
            // failed: nothing to reap; timed out: the caller's wait is bounded
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int exitStatus() {
        return result().exitStatus();
    }

    /**
     * How it ended with its output; throws while it runs. The exit status is the shell's (128 + N when killed by
     * signal N); {@code signal()} and {@code durationMillis()} are 0 (not recorded for an exec'd process).
     */
    public ContainerResult result() {
        if (!ended.isDone()) {
            throw new IllegalStateException("exec " + command + " in container " + container.id() + " is still running");
        }
        try {
            int status = ended.join();
            return new ContainerResult(container.id(), status, 0, stdio.stdout.text(), // 128 + N: N or an exit code 128 + N
                    stdio.stderr.text(), 0, false);
        } catch (CompletionException e) {
            throw wrap(e.getCause());
        }
    }

    /** Closes its stdin (end-of-file); the process itself ends on its own or with the container. */
    @Override
    public void close() {
        stdio.closeStdin();
    }

    @Override
    public String toString() {
        return "exec " + command + " in container " + container.id() + (isRunning() ? " (running)" : " (ended)");
    }
}
