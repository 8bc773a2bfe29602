package dev.bulwark.launcher.hooks;

import dev.bulwark.config.model.Hook;
import dev.bulwark.config.model.Hooks;
import dev.bulwark.launcher.LaunchException;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Runs a container's hooks of one kind, in the listed order, each with the container's OCI state on
 * stdin. A failing prestart, createRuntime, createContainer or startContainer hook stops the list and
 * fails the operation with one line naming it ({@code hooks.createRuntime[1]: ...}); a failing
 * poststart or poststop hook is logged as a warning and the rest still run.
 */
public final class HookRunner {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");

    private final Hooks hooks;

    /** @param hooks the config's {@code hooks}, or null */
    public HookRunner(Hooks hooks) {
        this.hooks = hooks;
    }

    /** Whether the config lists any hook of these kinds. */
    public boolean has(HookKind... kinds) {
        return Arrays.stream(kinds).anyMatch(kind -> !kind.of(hooks).isEmpty());
    }

    /**
     * Runs the hooks of {@code kind}.
     *
     * @param stateJson  the OCI state to pass on stdin, with the status as of this point
     * @param initPid    the container's init; used only by the kinds that run in the container
     * @param initAlive  whether {@code initPid} is still the container's init (checked after its namespaces
     *                   are opened, so a reused pid is refused)
     * @throws LaunchException for the first failing hook of a kind whose failure fails the operation
     */
    public void run(HookKind kind, String stateJson, int initPid, BooleanSupplier initAlive) {
        List<Hook> list = kind.of(hooks);
        for (int i = 0; i < list.size(); i++) {
            String field = "hooks." + kind.field() + "[" + i + "]";
            Hook hook = list.get(i);
            Optional<String> failure;
            try {
                failure = runOne(kind, hook, stateJson, initPid, initAlive);
            } catch (RuntimeException e) {
                failure = Optional.of(e.getMessage());
            }
            if (failure.isEmpty()) {
                continue;
            }
            String message = field + ": " + hook.path() + ": " + failure.get();
            if (kind.failureFails()) {
                throw new LaunchException(message);
            }
            LOG.log(System.Logger.Level.WARNING, message + " (a " + kind.field() + " hook's failure is only a warning)");
        }
    }

    private static Optional<String> runOne(HookKind kind, Hook hook, String stateJson, int initPid, BooleanSupplier initAlive) {
        if (!kind.inContainer()) {
            return HookProcess.run(hook, stateJson, null);
        }
        try (ContainerNamespaces namespaces = ContainerNamespaces.of(initPid, initAlive)) {
            return HookProcess.run(hook, stateJson, namespaces);
        }
    }
}
