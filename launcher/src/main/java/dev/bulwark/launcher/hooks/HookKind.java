package dev.bulwark.launcher.hooks;

import dev.bulwark.config.model.Hook;
import dev.bulwark.config.model.Hooks;

import java.util.List;
import java.util.function.Function;

/**
 * The six OCI hook kinds (runtime-spec config.md "POSIX-platform Hooks"), with where each runs and
 * whether its failure fails the operation. The launcher decides when (runtime.md "Lifecycle").
 */
public enum HookKind {
    /** Deprecated; with createRuntime, during create before pivot_root, in the runtime's namespaces. */
    PRESTART("prestart", Hooks::prestart, false, true),
    CREATE_RUNTIME("createRuntime", Hooks::createRuntime, false, true),
    /** After createRuntime, before pivot_root, in the container's namespaces. */
    CREATE_CONTAINER("createContainer", Hooks::createContainer, true, true),
    /** During start, before the workload's execve, in the container's namespaces. */
    START_CONTAINER("startContainer", Hooks::startContainer, true, true),
    /** After the workload started; a failure is a warning. */
    POSTSTART("poststart", Hooks::poststart, false, false),
    /** After the container is deleted; a failure is a warning. */
    POSTSTOP("poststop", Hooks::poststop, false, false);

    private final String field;
    private final Function<Hooks, List<Hook>> list;
    private final boolean inContainer;
    private final boolean failureFails;

    HookKind(String field, Function<Hooks, List<Hook>> list, boolean inContainer, boolean failureFails) {
        this.field = field;
        this.list = list;
        this.inContainer = inContainer;
        this.failureFails = failureFails;
    }

    /** The config field, e.g. "createRuntime". */
    public String field() {
        return field;
    }

    /** The hooks of this kind in {@code hooks} (empty for null). */
    public List<Hook> of(Hooks hooks) {
        return hooks == null ? List.of() : list.apply(hooks);
    }

    /** Executed in the container's namespaces (joined with setns), not the runtime's. */
    public boolean inContainer() {
        return inContainer;
    }

    /** A failing hook fails the operation (create or start); otherwise it is logged as a warning. */
    public boolean failureFails() {
        return failureFails;
    }
}
