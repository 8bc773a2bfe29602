package dev.bulwark.api;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.SyscallException;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container that could not be configured or launched: the message is the launcher's one line (as the
 * CLI prints it), {@link #step()} says where it failed and {@link #field()} which setting or config field
 * caused it, when one did.
 */
public class ContainerException extends RuntimeException {
    /** The setting of {@link ContainerBuilder} behind each of the CLI flags that the shared translation names. */
    private static final Map<String, String> SETTING_OF_FLAG = Map.ofEntries(Map.entry("--user", "user"),
            Map.entry("--workdir", "workdir"), Map.entry("--hostname", "hostname"), Map.entry("--env", "env"),
            Map.entry("--cap-add", "capAdd"), Map.entry("--cap-drop", "capAdd"), Map.entry("--memory", "memory"),
            Map.entry("--pids", "pids"), Map.entry("--cpus", "cpus"), Map.entry("--mount", "mount"),
            Map.entry("--volume", "mount"), Map.entry("--tmpfs", "tmpfs"), Map.entry("--network", "network"),
            Map.entry("--network pasta", "network"), Map.entry("--publish", "publish"), Map.entry("--id", "id"));
    private static final Pattern FIELD = Pattern.compile("^(--[a-z-]+(?: pasta)?|[A-Za-z][\\w.\\[\\]\"-]*)(?::| [a-z]+:) ");

    private final String step;
    private final String field;
    private final int exitStatus;

    public ContainerException(String message, String step, String field, int exitStatus, Throwable cause) {
        super(message, cause);
        this.step = step;
        this.field = field;
        this.exitStatus = exitStatus;
    }

    /**
     * Where it failed: {@code configure} (the builder's settings, before anything ran), {@code launch}
     * (the launcher's side), {@code setup} (a step of the container's own setup program), {@code exec}
     * (the command, or an exec'd process, could not be found or run), {@code ready} (readyWhenOutput),
     * {@code wait} (still running after the timeout of a run), or the failing system call's name.
     */
    public String step() {
        return step;
    }

    /** The builder setting ({@code user}, {@code mount}, ...) or config field (process.args[0], ...), or "" when none is to blame. */
    public String field() {
        return field;
    }

    /** The status the CLI would exit with: 125 (launcher), 126 (cannot execute), 127 (not found). */
    public int exitStatus() {
        return exitStatus;
    }

    static ContainerException configuring(RuntimeException e) {
        return wrap(e, "configure");
    }

    static ContainerException launching(Throwable e) {
        return wrap(e, "launch");
    }

    private static ContainerException wrap(Throwable e, String phase) {
        if (e instanceof ContainerException c) {
            return c;
        }
        if (e instanceof SyscallException s) {
            return new ContainerException(s.getMessage(), s.operation(), "", LaunchException.LAUNCHER_ERROR, s);
        }
        String message = String.valueOf(e.getMessage());
        if (e instanceof LaunchException l) {
            String step = l.exitStatus() != LaunchException.LAUNCHER_ERROR ? "exec"
                    : phase.equals("launch") && message.matches("^[^:]+: .*: E[A-Z0-9]+.*") ? "setup" : phase;
            return new ContainerException(message, step, fieldOf(message), l.exitStatus(), l);
        }
        if (e instanceof RuntimeException r && phase.equals("configure")) {
            return new ContainerException(message, phase, "", LaunchException.LAUNCHER_ERROR, r);
        }
        return new ContainerException(e.getClass().getSimpleName() + ": " + message, phase, "", LaunchException.LAUNCHER_ERROR, e);
    }

    private static String fieldOf(String message) {
        Matcher m = FIELD.matcher(message);
        if (!m.find()) {
            return "";
        }
        String named = m.group(1);
        return SETTING_OF_FLAG.getOrDefault(named, named.startsWith("--") ? named.substring(2) : named);
    }
}
