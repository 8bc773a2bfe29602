package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.nativ.constants.Signals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code bulwark kill [--all] ID [SIGNAL]}: signals a created or running container. */
@Command(name = "kill", mixinStandardHelpOptions = true, description = {
        "Send SIGNAL (a name with or without SIG, or a number; default TERM) to the container's init. The init is "
                + "pid 1 of its pid namespace, and the kernel delivers it only the signals it has a handler for: a "
                + "shell or sleep as init ignores TERM, KILL always works (see run --init).",
        "Exit status 1: no such container, or it is not running."},
        footer = {"", "Examples:",
                "  bulwark kill demo            # SIGTERM",
                "  bulwark kill demo KILL       # also SIGKILL or 9",
                "  bulwark kill --all demo HUP  # every process of its cgroup"})
final class KillCommand implements Callable<Integer> {
    @Option(names = {"-a", "--all"}, description = "signal every process of the container's cgroup")
    boolean all;

    @Parameters(index = "0", paramLabel = "ID", description = "the container's id, as given to create or run --id (bulwark list shows them)")
    String id;

    @Parameters(index = "1", paramLabel = "SIGNAL", arity = "0..1", defaultValue = "TERM", description = "TERM, SIGTERM or 15 (default TERM)")
    String signal;

    @Mixin
    StateRootOption stateRoot;

    @Override
    public Integer call() {
        ContainerId.parse(id, "ID"); // a bad ID is named before a bad signal, as before
        int number = Signals.parse(signal);
        if (number <= 0) {
            throw new LaunchException("SIGNAL: unknown signal \"" + signal + "\" (a name such as TERM or SIGKILL, or 1-64)");
        }
        return stateRoot.onContainer(id, container -> container.kill(number, all));
    }
}
