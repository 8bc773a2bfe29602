package dev.bulwark.api;

import dev.bulwark.launcher.LaunchException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A process to run in a running container, as {@code bulwark exec} runs one: it joins the container's
 * namespaces and cgroup and is confined as the init is (seccomp, Landlock, capabilities, no_new_privs,
 * rlimits), from the config the init was started with. Its stdin is /dev/null unless {@link #openStdin()};
 * its stdout and stderr are pipes this JVM reads, kept up to the output limit.
 */
public final class ExecBuilder {
    private final RunningContainer container;
    private final List<String> command;
    private final List<String> env = new ArrayList<>();
    private String workdir;
    private boolean openStdin;
    private long outputLimit = ContainerBuilder.DEFAULT_OUTPUT_LIMIT;

    ExecBuilder(RunningContainer container, List<String> command) {
        this.container = container;
        this.command = List.copyOf(command);
    }

    /** One variable added to (or replacing one of) the container's environment. */
    public ExecBuilder env(String name, String value) {
        env.add(name + "=" + value);
        return this;
    }

    /** Working directory (default the container's). */
    public ExecBuilder workdir(String absolutePath) {
        workdir = absolutePath;
        return this;
    }

    /** A pipe for its stdin, {@link ExecProcess#stdin()}; without it the process reads /dev/null. */
    public ExecBuilder openStdin() {
        openStdin = true;
        return this;
    }

    /** As {@link ContainerBuilder#outputLimit(long)}, for this process's stdout and stderr. */
    public ExecBuilder outputLimit(long bytesPerStream) {
        if (bytesPerStream < 0) {
            throw new ContainerException("outputLimit: " + bytesPerStream + " is negative", "configure", "outputLimit",
                    LaunchException.LAUNCHER_ERROR, null);
        }
        outputLimit = bytesPerStream;
        return this;
    }

    /**
     * Starts the process and returns once it runs (its execve succeeded). A command that is missing or cannot
     * run, a bad setting, or a container that no longer runs throws {@link ContainerException} (step "exec").
     */
    public ExecProcess start() {
        if (command.isEmpty()) {
            throw new ContainerException("command: give the command to run", "configure", "command",
                    LaunchException.LAUNCHER_ERROR, null);
        }
        return ExecProcess.start(container, command, List.copyOf(env), workdir, openStdin, outputLimit);
    }

    /** Starts the process and waits for it, at most 10 minutes; its status and output. */
    public ContainerResult run() {
        return run(Duration.ofMinutes(10));
    }

    /** As {@link #run()}; a process still running after {@code timeout} throws (it ends with the container). */
    public ContainerResult run(Duration timeout) {
        try (ExecProcess process = start()) {
            if (!process.waitFor(timeout)) {
                throw new ContainerException("exec " + command + " in container " + container.id() + " still ran after "
                        + timeout, "wait", "", LaunchException.LAUNCHER_ERROR, null);
            }
            return process.result();
        }
    }
}
