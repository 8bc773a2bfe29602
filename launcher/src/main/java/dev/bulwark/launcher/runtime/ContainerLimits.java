package dev.bulwark.launcher.runtime;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupEvents;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.CgroupPlan;
import dev.bulwark.launcher.cgroup.CgroupPlanner;
import dev.bulwark.launcher.cgroup.ContainerCgroup;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The container's cgroup v2 limits over its lifetime: planned before clone, created, joined by the
 * child before it is released (the child enters its cgroup namespace only after), read for OOM kills
 * after exit, and removed after reaping (killed first when the launch aborts).
 *
 * <p>Bulwark's own default limits (resources exactly as the built-in container and {@code bulwark spec}
 * have them) are applied where the host can; elsewhere the child sets rlimits that bound the same
 * threats ({@link LimitFallback}), and the launcher says so in one warning line.
 * Any other limit is explicit: if it cannot be applied, the launch fails naming it.
 */
final class ContainerLimits implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");

    private final Optional<ContainerCgroup> cgroup;
    private final Long memoryLimit;
    private final LimitFallback fallback;
    private final Optional<String> notAppliedReason;
    private boolean kept;

    private ContainerLimits(Optional<ContainerCgroup> cgroup, Long memoryLimit, LimitFallback fallback,
                            Optional<String> notAppliedReason) {
        this.cgroup = cgroup;
        this.memoryLimit = memoryLimit;
        this.fallback = fallback;
        this.notAppliedReason = notAppliedReason;
    }

    static ContainerLimits create(String id, Spec spec, boolean rootless) {
        return create(id, spec, rootless, planned -> { });
    }

    /**
     * Plans and creates the cgroup; {@code beforeCreate} gets the planned directory first, so the
     * launcher can record it in state.json: a launcher killed right after creating it leaves a cgroup
     * {@code bulwark delete} can find.
     */
    static ContainerLimits create(String id, Spec spec, boolean rootless,
                                  java.util.function.Consumer<Optional<Path>> beforeCreate) {
        return create(id, spec, rootless, beforeCreate, System.Logger.Level.WARNING);
    }

    /**
     * @param fallbackLevel how loudly to log that the default limits fell back to rlimits: a host fact, said
     *                      on every launch; an embedding JVM (the Java API) logs it at DEBUG, its launch
     *                      explanation says it
     */
    static ContainerLimits create(String id, Spec spec, boolean rootless,
                                  java.util.function.Consumer<Optional<Path>> beforeCreate, System.Logger.Level fallbackLevel) {
        LinuxResources resources = spec.linux().resources();
        try {
            CgroupPlan plan = CgroupPlanner.plan(id, resources, spec.linux().cgroupsPath(), rootless,
                    isBulwarkDefault(resources));
            plan.warnings().forEach(w -> LOG.log(System.Logger.Level.WARNING, w));
            LimitFallback fallback = LimitFallback.none();
            if (plan.defaultsNotApplied().isPresent()) {
                fallback = LimitFallback.of(resources, spec.process().rlimits(), LimitFallback.hostMemory(),
                        LimitFallback.inherited());
                LOG.log(fallbackLevel, "cgroup v2 cannot apply the default pids/memory limits here; using "
                        + fallback.summary());
                LOG.log(System.Logger.Level.DEBUG, "default limits not applied: " + plan.defaultsNotApplied().get());
            }
            Long memoryLimit = resources == null || resources.memory() == null ? null : resources.memory().limit();
            beforeCreate.accept(plan.path());
            return new ContainerLimits(plan.create(), memoryLimit, fallback, plan.defaultsNotApplied());
        } catch (CgroupException e) {
            throw new LaunchException(e.getMessage(), e);
        }
    }

    /**
     * For {@code bulwark plan}: what {@link #create} would decide, without creating anything: the cgroup
     * it would make (if any) and the rlimits the child would set instead of the default limits.
     */
    record Planned(Optional<Path> cgroup, List<PosixRlimit> fallbackRlimits, Optional<String> notApplied) {
    }

    static Planned planOnly(String id, Spec spec, boolean rootless) {
        LinuxResources resources = spec.linux().resources();
        try {
            CgroupPlan plan = CgroupPlanner.plan(id, resources, spec.linux().cgroupsPath(), rootless, isBulwarkDefault(resources));
            List<PosixRlimit> fallback = plan.defaultsNotApplied().isPresent()
                    ? LimitFallback.of(resources, spec.process().rlimits(), LimitFallback.hostMemory(), LimitFallback.inherited()).rlimits()
                    : List.of();
            return new Planned(plan.path(), fallback, plan.defaultsNotApplied());
        } catch (CgroupException e) {
            throw new LaunchException(e.getMessage(), e);
        }
    }

    /** The rlimits the child sets because cgroup v2 cannot apply the default limits (usually none). */
    List<PosixRlimit> fallbackRlimits() {
        return fallback.rlimits();
    }

    /** For --explain: why the default limits are not in a cgroup, and what applies instead. */
    Optional<String> fallbackExplanation() {
        return notAppliedReason.map(reason -> "limits: the default pids/memory limits cannot go in a cgroup ("
                + reason + "); the child sets " + fallback.summary());
    }

    /** Whether {@code resources} are exactly the defaults {@code bulwark spec} writes. */
    private static boolean isBulwarkDefault(LinuxResources resources) {
        return Objects.equals(resources, ROOT_DEFAULTS) || Objects.equals(resources, ROOTLESS_DEFAULTS);
    }

    /** {@code bulwark spec}'s resources, as root and rootless: immutable records, made once. */
    private static final LinuxResources ROOT_DEFAULTS = HardenedDefaults.resources(false);
    private static final LinuxResources ROOTLESS_DEFAULTS = HardenedDefaults.resources(true);

    Optional<Path> path() {
        return cgroup.map(ContainerCgroup::path);
    }

    /** Puts the (not yet released) child in the cgroup. */
    void join(int pid) {
        if (cgroup.isPresent()) {
            try {
                cgroup.get().addProcess(pid);
            } catch (CgroupException e) {
                throw new LaunchException("cgroup: " + e.getMessage(), e);
            }
        }
    }

    /** Kills every process in the container's cgroup (cgroup.kill where the kernel has it); false without a cgroup. */
    boolean killAll() {
        if (cgroup.isEmpty()) {
            return false;
        }
        try {
            cgroup.get().kill();
            return true;
        } catch (CgroupException e) {
            throw new LaunchException("cgroup: " + e.getMessage(), e);
        }
    }

    /** After the container was reaped: the OOM kills its cgroup recorded. */
    long oomKills() {
        if (cgroup.isEmpty()) {
            return 0;
        }
        try {
            CgroupEvents events = cgroup.get().events();
            return events.oomKills();
        } catch (CgroupException e) {
            return 0;
        }
    }

    /** "container OOM-killed at 32 MiB (linux.resources.memory.limit)". */
    String oomMessage() {
        String limit = memoryLimit == null ? "its memory limit" : humanBytes(memoryLimit);
        return "container OOM-killed at " + limit + " (linux.resources.memory.limit)";
    }

    static String humanBytes(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return bytes / (1L << 30) + " GiB";
        }
        if (bytes % (1L << 20) == 0) {
            return bytes / (1L << 20) + " MiB";
        }
        if (bytes % (1L << 10) == 0) {
            return bytes / (1L << 10) + " KiB";
        }
        return bytes + " bytes";
    }

    /**
     * Kills whatever is still in the cgroup (descendants of init that daemonised, when there is no pid
     * namespace, or everything on an aborted launch), then removes it.
     */
    /** Leaves the cgroup in place when closed: a created container lives on (delete removes it). */
    void keep() {
        kept = true;
    }

    @Override
    public void close() {
        if (cgroup.isEmpty() || kept) {
            return;
        }
        try {
            cgroup.get().kill();
            cgroup.get().remove();
        } catch (CgroupException e) {
            LOG.log(System.Logger.Level.WARNING, "could not remove cgroup " + cgroup.get().path() + ": " + e.getMessage());
        }
    }
}
