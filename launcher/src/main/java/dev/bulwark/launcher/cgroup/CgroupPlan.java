package dev.bulwark.launcher.cgroup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The outcome of {@link CgroupPlanner}: either nothing to do (no limits, or default limits this
 * host cannot apply; see {@link #defaultsNotApplied()}), or a cgroup to create with its writes.
 */
public final class CgroupPlan {
    /**
     * How deep a container may nest cgroups below its own (cgroup.max.depth, written when the cgroup is
     * made): plenty for systemd or a nested runtime in the container, and a bound on what it can build.
     * A container in a user namespace cannot lift it when the launcher runs as root: the file is host
     * root's, which the container's mapped root is not. A rootless launcher's files belong to its user,
     * who is the container's root, so there the limit only holds as long as the container leaves it be;
     * neither listing nor removal of the subtree relies on it ({@link CgroupSubtree} walks any depth).
     */
    static final int MAX_DEPTH_BELOW = 32;

    private final Optional<Path> dir;
    private final List<Path> toCreate;
    private final Map<Path, Set<Controller>> enable;
    private final Optional<Path> launcherLeaf;
    private final long selfPid;
    private final List<CgroupWrite> writes;
    private final List<String> warnings;
    private final Optional<String> defaultsNotApplied;

    private CgroupPlan(Optional<Path> dir, List<Path> toCreate, Map<Path, Set<Controller>> enable,
                       Optional<Path> launcherLeaf, long selfPid, List<CgroupWrite> writes, List<String> warnings,
                       Optional<String> defaultsNotApplied) {
        this.dir = dir;
        this.toCreate = List.copyOf(toCreate);
        this.enable = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(enable));
        this.launcherLeaf = launcherLeaf;
        this.selfPid = selfPid;
        this.writes = List.copyOf(writes);
        this.warnings = List.copyOf(warnings);
        this.defaultsNotApplied = defaultsNotApplied;
    }

    static CgroupPlan none(List<String> warnings) {
        return new CgroupPlan(Optional.empty(), List.of(), Map.of(), Optional.empty(), 0, List.of(), warnings, Optional.empty());
    }

    /** Nothing to create: the launcher's default limits, which this host cannot apply for {@code reason}. */
    static CgroupPlan defaultsNotApplied(List<String> warnings, String reason) {
        return new CgroupPlan(Optional.empty(), List.of(), Map.of(), Optional.empty(), 0, List.of(), warnings,
                Optional.of(reason));
    }

    static CgroupPlan of(Path dir, List<Path> toCreate, Map<Path, Set<Controller>> enable, Optional<Path> launcherLeaf,
                         long selfPid, ResourceTranslator.Translation translation) {
        return new CgroupPlan(Optional.of(dir), toCreate, enable, launcherLeaf, selfPid,
                translation.writes(), translation.warnings(), Optional.empty());
    }

    /** The container's cgroup directory; empty when the plan creates no cgroup. */
    public Optional<Path> path() {
        return dir;
    }

    /** The controllers switched on, as "CGROUP-DIR=[controller, ...]" in the order they are written. */
    public List<String> enables() {
        return enable.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    /** The interface-file writes, in order. */
    public List<CgroupWrite> writes() {
        return writes;
    }

    /** One line each, for the caller to print: ignored v1-only fields. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * Why the default limits were planned but cannot be applied on this host (e.g. "linux.resources.memory:
     * the memory controller is not available in ..."); empty when they are applied or there are none.
     */
    public Optional<String> defaultsNotApplied() {
        return defaultsNotApplied;
    }

    /**
     * Creates the cgroup: moves the launcher to its leaf if planned, makes the directories,
     * enables the needed controllers, writes the limits. On any failure it removes the
     * directories it made and throws, naming the file, the OCI field and the kernel's reason.
     *
     * @return the cgroup, or empty when the plan has nothing to create
     */
    public Optional<ContainerCgroup> create() throws CgroupException {
        if (dir.isEmpty()) {
            return Optional.empty();
        }
        List<Path> created = new ArrayList<>();
        try {
            if (launcherLeaf.isPresent()) {
                moveLauncher(launcherLeaf.get());
            }
            for (Path d : toCreate) {
                mkdir(d);
                created.add(d);
            }
            for (var e : enable.entrySet()) {
                String value = e.getValue().stream().map(c -> "+" + c.kernelName()).collect(Collectors.joining(" "));
                write(e.getKey().resolve("cgroup.subtree_control"), value, "enabling controllers for " + dir.get());
            }
            for (CgroupWrite w : writes) {
                CgroupWrite effective = w;
                if (!Files.exists(dir.get().resolve(w.file())) && w.fallback().isPresent()) {
                    effective = w.fallback().get();
                }
                write(dir.get().resolve(effective.file()), effective.value(), effective.field());
            }
            if (Files.exists(dir.get().resolve("cgroup.max.depth"))) {
                write(dir.get().resolve("cgroup.max.depth"), Integer.toString(MAX_DEPTH_BELOW),
                        "limiting how deep the container may nest cgroups");
            }
            return Optional.of(new ContainerCgroup(dir.get()));
        } catch (CgroupException e) {
            Collections.reverse(created);
            for (Path d : created) {
                try {
                    Files.deleteIfExists(d);
                } catch (IOException ignored) {
                    // Best effort: the original error is the one worth reporting.
                }
            }
            throw e;
        }
    }

    private void moveLauncher(Path leaf) throws CgroupException {
        if (!Files.isDirectory(leaf)) {
            mkdir(leaf);
        }
        write(leaf.resolve("cgroup.procs"), Long.toString(selfPid),
                "moving the launcher out of " + leaf.getParent() + " (no internal processes rule)");
    }

    private static void mkdir(Path d) throws CgroupException {
        try {
            Files.createDirectory(d);
        } catch (FileAlreadyExistsException e) {
            throw new CgroupException("cannot create the cgroup " + d + ": it already exists");
        } catch (IOException e) {
            throw new CgroupException("cannot create the cgroup " + d + ": " + CgroupFiles.reason(e), e);
        }
    }

    private static void write(Path file, String value, String what) throws CgroupException {
        try {
            CgroupFiles.write(file, value);
        } catch (IOException e) {
            throw new CgroupException(what + ": cannot write \"" + value + "\" to " + file + ": "
                    + CgroupFiles.reason(e), e);
        }
    }

    @Override
    public String toString() {
        return dir.map(d -> "cgroup " + d + " " + writes).orElse("no cgroup") + (warnings.isEmpty() ? "" : " " + warnings)
                + defaultsNotApplied.map(reason -> " (defaults not applied: " + reason + ")").orElse("");
    }
}
