package dev.bulwark.launcher.cgroup;

import dev.bulwark.config.model.LinuxResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Decides where a container's cgroup goes and what must be written, reading /proc and the cgroup
 * file system but writing nothing. {@link CgroupPlan#create()} carries the plan out.
 *
 * <p>Placement: {@code linux.cgroupsPath} if given (absolute = from the v2 root, relative = under
 * the launcher's own cgroup); otherwise {@code /bulwark/ID} for root and {@code OWN/bulwark-ID}
 * for rootless, as runc and crun do with their cgroupfs managers, since a rootless launcher can
 * only write below the cgroup delegated to it.
 *
 * <p>The "no internal processes" rule: a non-root cgroup that holds processes cannot enable
 * controllers for its children. When the launcher is the only process in the cgroup under which
 * it must enable controllers (the usual case for {@code systemd-run --scope -p Delegate=yes}),
 * the plan first moves the launcher into a leaf {@code bulwark-launcher} beside the containers,
 * which is what systemd's delegation guide prescribes for a delegated manager's own processes.
 * With other processes present the plan fails and says so instead of moving them.
 */
public final class CgroupPlanner {
    private static final System.Logger LOG = System.getLogger(CgroupPlanner.class.getName());
    static final String LAUNCHER_LEAF = "bulwark-launcher";
    private static final Pattern CONTAINER_ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$");
    private static final Pattern SYSTEMD_PATH = Pattern.compile("^[^/:]*:[^/:]*:[^/:]*$");

    private CgroupPlanner() {}

    /**
     * Plans the cgroup of a container on this host.
     *
     * @param limitsAreDefaults true for the launcher's zero-config defaults: if they cannot be
     *                          applied the plan creates nothing and says why
     *                          ({@link CgroupPlan#defaultsNotApplied()}), instead of failing as it
     *                          does for limits the user asked for
     * @throws CgroupException for invalid values and for explicit limits that cannot be applied
     */
    public static CgroupPlan plan(String containerId, LinuxResources resources, String cgroupsPath,
                                  boolean rootless, boolean limitsAreDefaults) throws CgroupException {
        Optional<CgroupHost> host;
        try {
            host = CgroupHost.detect();
        } catch (IOException e) {
            return unavailable(limitsAreDefaults, ResourceTranslator.translate(resources),
                    "cannot read /proc/self/mountinfo or /proc/self/cgroup: " + CgroupFiles.reason(e));
        }
        return plan(host, containerId, resources, cgroupsPath, rootless, limitsAreDefaults);
    }

    /** As {@link #plan(String, LinuxResources, String, boolean, boolean)} on a given hierarchy. */
    public static CgroupPlan plan(Optional<CgroupHost> host, String containerId, LinuxResources resources,
                                  String cgroupsPath, boolean rootless, boolean limitsAreDefaults)
            throws CgroupException {
        if (containerId == null || !CONTAINER_ID.matcher(containerId).matches()) {
            throw new CgroupException("container id \"" + containerId + "\" cannot name a cgroup"
                    + " (letters, digits, '_', '.', '-'; up to 128)");
        }
        ResourceTranslator.Translation translation = ResourceTranslator.translate(resources);
        if (translation.writes().isEmpty()) {
            return cgroupsPath == null || cgroupsPath.isEmpty() || host.isEmpty() ? CgroupPlan.none(translation.warnings())
                    : withoutLimits(host.get(), containerId, cgroupsPath, rootless, translation);
        }
        if (host.isEmpty()) {
            return unavailable(limitsAreDefaults, translation,
                    "no cgroup v2 hierarchy is mounted (no cgroup2 entry in /proc/self/mountinfo)");
        }
        String target = targetCgroup(host.get(), containerId, cgroupsPath, rootless);
        try {
            return placed(host.get(), target, translation, rootless);
        } catch (Unavailable e) {
            return unavailable(limitsAreDefaults, translation, e.getMessage());
        }
    }

    /**
     * A config that names its cgroup (linux.cgroupsPath, as engines always pass) but sets no limits gets that cgroup
     * where this host's v2 hierarchy can hold it, as with runc: pause, update, events and kill --all then work on it.
     * Where it cannot (not writable, a systemd-style path, taken already), the container runs without one, as before.
     */
    private static CgroupPlan withoutLimits(CgroupHost host, String containerId, String cgroupsPath, boolean rootless,
                                            ResourceTranslator.Translation translation) {
        try {
            return placed(host, targetCgroup(host, containerId, cgroupsPath, rootless), translation, rootless);
        } catch (CgroupException | Unavailable e) {
            // logged (--debug) so that a later pause or update refused for want of a cgroup can be explained
            LOG.log(System.Logger.Level.DEBUG, "linux.cgroupsPath \"" + cgroupsPath + "\": no cgroup of its own for container "
                    + containerId + ": " + e.getMessage());
            return CgroupPlan.none(translation.warnings());
        }
    }

    /** The container's cgroup relative to the v2 root, always starting with "/". */
    static String targetCgroup(CgroupHost host, String containerId, String cgroupsPath, boolean rootless)
            throws CgroupException {
        String own = delegationBase(host.ownCgroup());
        String path;
        if (cgroupsPath == null || cgroupsPath.isEmpty()) {
            path = rootless ? join(rootlessBase(host, own), "bulwark-" + containerId) : "/bulwark/" + containerId;
        } else if (SYSTEMD_PATH.matcher(cgroupsPath).matches()) {
            throw new CgroupException("linux.cgroupsPath: \"" + cgroupsPath + "\" is a systemd slice:prefix:name"
                    + " path; Bulwark manages cgroups through the file system, give a path instead");
        } else {
            path = cgroupsPath.startsWith("/") ? cgroupsPath : join(own, cgroupsPath);
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                throw new CgroupException("linux.cgroupsPath: \"" + cgroupsPath + "\" must not contain . or .. components");
            }
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        if (parts.isEmpty()) {
            throw new CgroupException("linux.cgroupsPath: \"" + cgroupsPath + "\" names the root cgroup;"
                    + " a container needs a cgroup of its own");
        }
        String normalized = "/" + String.join("/", parts);
        try {
            java.nio.file.Path.of(normalized);
        } catch (java.nio.file.InvalidPathException e) {
            throw new CgroupException("linux.cgroupsPath: \"" + cgroupsPath + "\" is not a usable file name here (" + e.getReason() + ")");
        }
        if (own.equals(normalized) || own.startsWith(normalized + "/")) {
            throw new CgroupException("linux.cgroupsPath: \"" + normalized + "\" is the launcher's own cgroup or"
                    + " one of its ancestors; a container needs a cgroup of its own");
        }
        return normalized;
    }

    /**
     * Where a rootless container goes by default: under the launcher's cgroup; but when that cgroup
     * also holds other processes (the shell that started bulwark, in a scope of its own as
     * {@code systemd-run --user --scope} makes), beside it under the parent, if the parent was
     * delegated too (its cgroup.subtree_control is writable) and holds no processes itself.
     */
    static String rootlessBase(CgroupHost host, String own) {
        Path ownDir = host.dirOf(own);
        String parent = own.contains("/") && own.lastIndexOf('/') > 0 ? own.substring(0, own.lastIndexOf('/')) : "/";
        if (parent.equals("/")) {
            return own;
        }
        Path parentDir = host.dirOf(parent);
        try {
            Set<Long> ownPids = CgroupFiles.readPids(ownDir.resolve("cgroup.procs"));
            ownPids.remove(host.selfPid());
            boolean shared = !ownPids.isEmpty();
            boolean parentDelegated = Files.isWritable(parentDir.resolve("cgroup.subtree_control"))
                    && CgroupFiles.readPids(parentDir.resolve("cgroup.procs")).isEmpty();
            return shared && parentDelegated ? parent : own;
        } catch (IOException e) {
            return own; // the placement check below reports what cannot be read
        }
    }

    /**
     * The cgroup containers are placed under: the launcher's own, or, once a plan has moved the
     * launcher to its leaf, the leaf's parent, so that later containers become siblings of the
     * leaf instead of children of it.
     */
    static String delegationBase(String ownCgroup) {
        String suffix = "/" + LAUNCHER_LEAF;
        if (ownCgroup.endsWith(suffix)) {
            String parent = ownCgroup.substring(0, ownCgroup.length() - suffix.length());
            return parent.isEmpty() ? "/" : parent;
        }
        return ownCgroup;
    }

    private static CgroupPlan placed(CgroupHost host, String target, ResourceTranslator.Translation translation,
                                     boolean rootless) throws CgroupException, Unavailable {
        Path dir = host.dirOf(target);
        if (Files.exists(dir)) {
            throw new CgroupException("linux.cgroupsPath: the cgroup " + dir + " already exists (another container,"
                    + " or one that was not cleaned up); remove it with rmdir or choose another path");
        }
        Path existing = dir.getParent();
        List<Path> toCreate = new ArrayList<>(List.of(dir));
        while (!Files.isDirectory(existing)) {
            toCreate.add(0, existing);
            existing = existing.getParent();
        }
        if (!existing.startsWith(host.v2Root())) {
            throw new IllegalStateException(existing + " is outside " + host.v2Root());
        }
        requireNoOccupiedAncestor(host, existing);

        Map<Controller, String> firstField = new LinkedHashMap<>();
        for (CgroupWrite w : translation.writes()) {
            w.controller().ifPresent(c -> firstField.putIfAbsent(c, w.field()));
        }
        Set<Controller> needed = firstField.isEmpty() ? EnumSet.noneOf(Controller.class) : EnumSet.copyOf(firstField.keySet());
        // Where each needed controller must be switched on in cgroup.subtree_control, top-down.
        Map<Path, Set<Controller>> enableAbove = new TreeMap<>();
        // Rootless stays within what was delegated to it; root may configure up to the v2 root.
        // Rootless: the cgroup the container is placed under (its own, or beside a shared scope) is the ceiling.
        Path base = host.dirOf(rootless ? rootlessBase(host, delegationBase(host.ownCgroup())) : delegationBase(host.ownCgroup()));
        Path ceiling = !rootless ? host.v2Root() : existing.startsWith(base) ? base : existing;
        for (Controller c : needed) {
            for (Path p : enablePath(host, existing, ceiling, c, firstField.get(c))) {
                enableAbove.computeIfAbsent(p, k -> EnumSet.noneOf(Controller.class)).add(c);
            }
        }
        requireWritable(existing, rootless, "");
        Optional<Path> launcherLeaf = Optional.empty();
        for (Path p : enableAbove.keySet()) {
            requireWritable(p.resolve("cgroup.subtree_control"), rootless, "");
            if (!p.equals(host.v2Root())) {
                Optional<Path> leaf = leafIfAlone(host, p, rootless);
                if (leaf.isPresent()) {
                    launcherLeaf = leaf;
                }
            }
        }

        // Enable only what the limits need: at the existing ancestor, then at each created level but the leaf.
        Map<Path, Set<Controller>> enable = new LinkedHashMap<>(enableAbove);
        for (Path created : toCreate.subList(0, toCreate.size() - 1)) {
            if (!needed.isEmpty()) { // core files only (cgroup.*, or no limits at all): nothing to switch on
                enable.put(created, needed);
            }
        }
        return CgroupPlan.of(dir, toCreate, enable, launcherLeaf, host.selfPid(), translation);
    }

    /**
     * Refuses a place below a cgroup that holds processes of its own (another container's cgroup, a
     * service's): the container would share that cgroup's limits and die with its cgroup.kill, and that
     * cgroup's owner could not remove it. Checks {@code existing} and its ancestors below the v2 root,
     * except the launcher's own cgroup and its ancestors, where relative paths and rootless placement put
     * containers. A cgroup that only has populated children (containerd's /default, Podman's /libpod_parent)
     * is a parent of containers and is fine.
     */
    private static void requireNoOccupiedAncestor(CgroupHost host, Path existing) throws CgroupException {
        Path own = host.dirOf(host.ownCgroup());
        for (Path at = existing; at != null && at.startsWith(host.v2Root()) && !at.equals(host.v2Root()); at = at.getParent()) {
            if (own.startsWith(at)) {
                continue;
            }
            Set<Long> pids;
            try {
                pids = CgroupFiles.readPids(at.resolve("cgroup.procs"));
            } catch (IOException e) {
                throw new CgroupException("linux.cgroupsPath: cannot read " + at.resolve("cgroup.procs") + ": "
                        + CgroupFiles.reason(e), e);
            }
            if (!pids.isEmpty()) {
                throw new CgroupException("linux.cgroupsPath: " + at + " holds processes of its own (another"
                        + " container's or a service's cgroup); a container's cgroup cannot go below it");
            }
        }
    }

    /**
     * The existing cgroups, from the top, whose cgroup.subtree_control must get {@code c} for it to
     * reach children of {@code existing}: climbs from {@code existing} to the nearest cgroup that
     * has {@code c} in cgroup.controllers, but never past {@code ceiling} (the delegation boundary
     * for rootless, the v2 root for root) nor a cgroup whose subtree_control it may not write.
     */
    private static List<Path> enablePath(CgroupHost host, Path existing, Path ceiling, Controller c, String field)
            throws Unavailable {
        List<Path> path = new ArrayList<>();
        Path at = existing;
        while (true) {
            if (!readList(at.resolve("cgroup.subtree_control")).contains(c.kernelName())) {
                path.add(0, at);
            }
            if (readList(at.resolve("cgroup.controllers")).contains(c.kernelName())) {
                return path;
            }
            Path parent = at.getParent();
            if (at.equals(ceiling) || at.equals(host.v2Root()) || parent == null
                    || !Files.isWritable(parent.resolve("cgroup.subtree_control"))) {
                throw new Unavailable(notAvailable(host, field, c, existing));
            }
            at = parent;
        }
    }

    /**
     * The "no internal processes" rule for a non-root cgroup that must enable controllers: empty
     * if it has no processes, the launcher's leaf if the launcher is its only process, otherwise
     * a failure that says what to do.
     */
    private static Optional<Path> leafIfAlone(CgroupHost host, Path cgroup, boolean rootless) throws Unavailable {
        Set<Long> pids = readPids(cgroup.resolve("cgroup.procs"));
        if (pids.isEmpty()) {
            return Optional.empty();
        }
        if (pids.equals(Set.of(host.selfPid())) && cgroup.equals(host.dirOf(host.ownCgroup()))) {
            requireWritable(cgroup.resolve("cgroup.procs"), rootless, " (to move the launcher to a leaf)");
            return Optional.of(cgroup.resolve(LAUNCHER_LEAF));
        }
        pids.remove(host.selfPid());
        throw new Unavailable(cgroup + " holds other processes (PIDs " + new TreeSet<>(pids) + "), and"
                + " cgroup v2 cannot enable controllers below a cgroup with processes; start bulwark in a"
                + " cgroup of its own, e.g. systemd-run --user --scope -p Delegate=yes bulwark ...");
    }

    private static String notAvailable(CgroupHost host, String field, Controller c, Path where) {
        String section = field.startsWith(ResourceTranslator.PREFIX + "unified")
                ? field : sectionOf(field);
        String hint = host.pureV2() ? "" : " (this host is in hybrid mode: the controllers belong to the cgroup v1"
                + " hierarchies mounted at " + host.v1Mounts().get(0).getParent() + ")";
        return section + ": the " + c + " controller is not available in " + where + " (not in cgroup.controllers)"
                + hint + "; delegate it with systemd (Delegate=" + c + ") or enable it in the parent's"
                + " cgroup.subtree_control";
    }

    /** "linux.resources.memory.limit" -> "linux.resources.memory": the section the user wrote. */
    private static String sectionOf(String field) {
        int afterPrefix = ResourceTranslator.PREFIX.length();
        int dot = field.indexOf('.', afterPrefix);
        return dot < 0 ? field : field.substring(0, dot);
    }

    private static void requireWritable(Path path, boolean rootless, String purpose) throws Unavailable {
        if (!Files.isWritable(path)) {
            String who = rootless ? "this user" : "the launcher";
            String how = rootless ? "; it is not delegated to this user: delegate a cgroup with systemd"
                    + " (Delegate=yes, e.g. systemd-run --user --scope -p Delegate=yes) or start bulwark in one"
                    : "; is the cgroup file system mounted read-only?";
            throw new Unavailable(path + " is not writable by " + who + purpose + how);
        }
    }

    private static Set<String> readList(Path file) throws Unavailable {
        try {
            return CgroupFiles.readNameList(file);
        } catch (IOException e) {
            throw new Unavailable("cannot read " + file + ": " + CgroupFiles.reason(e));
        }
    }

    private static Set<Long> readPids(Path cgroupProcs) throws Unavailable {
        try {
            return CgroupFiles.readPids(cgroupProcs);
        } catch (IOException e) {
            throw new Unavailable("cannot read " + cgroupProcs + ": " + CgroupFiles.reason(e));
        }
    }

    private static CgroupPlan unavailable(boolean limitsAreDefaults, ResourceTranslator.Translation translation,
                                          String reason) throws CgroupException {
        if (!limitsAreDefaults) {
            throw new CgroupException(reason);
        }
        return CgroupPlan.defaultsNotApplied(translation.warnings(), reason);
    }

    private static String join(String parent, String child) {
        return parent.endsWith("/") ? parent + child : parent + "/" + child;
    }

    /** Internal signal: the limits are valid but this host cannot apply them. */
    private static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message, null, false, false);
        }
    }
}
