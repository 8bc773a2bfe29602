package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.hooks.HookKind;
import dev.bulwark.launcher.hooks.HookRunner;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.setup.ChildProgram;
import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.launcher.setup.LauncherMounts;
import dev.bulwark.launcher.setup.SetupPlan;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bulwark plan}: compiles the child's program exactly as {@code run} would, from host facts only
 * (the effective uid, the cgroup hierarchy, the LSMs, the rlimits), and runs nothing: no clone, no
 * mount, no cgroup, no state directory. The pipes are placeholders (fds 3 to 8), the built-in root's
 * mount point is where the state directory would put it.
 *
 * @param plan        the child's steps, in order
 * @param launcher    what the launcher itself does around them (clone, id maps, cgroup), each with the
 *                    command that does the same by hand
 * @param cloneFlags  the clone flags
 */
public record DryRun(SetupPlan plan, List<LauncherStep> launcher, long cloneFlags) {
    /** One thing the launcher does for the child, and the command that does it by hand ("" for none). */
    public record LauncherStep(String what, String byHand) {
    }

    /** The placeholder pipes: sync 3/4, failure 5/6 (no progress pipe: a run without --explain). */
    private static final ChildProgram.Pipes PIPES = new ChildProgram.Pipes(3, 4, 5, 6, -1, -1);

    /** @throws dev.bulwark.launcher.LaunchException for a config {@code run} would refuse, naming the field */
    public static DryRun of(RunRequest request) {
        ContainerId id = ContainerId.parse(request.id(), "--id");
        int euid = Syscalls.geteuid();
        int egid = Syscalls.getegid();
        boolean rootless = euid != 0;
        LaunchPlan launch = LaunchPlan.of(request, euid, egid);
        Spec spec = launch.spec();
        IdMaps idMaps = launch.idMaps();
        Path rootfs = launch.bundleRootfs() != null ? launch.bundleRootfs()
                : request.stateRoot().resolve(id.value()).resolve("rootfs"); // StateDirectory.rootfsMountPoint, not made
        ContainerLimits.Planned limits = ContainerLimits.planOnly(id.value(), spec, rootless);
        ContainerContext context = new ContainerContext(id.value(), spec, request.bundle(), rootfs, request.hostUsrRoot(),
                rootless, euid, egid, limits.fallbackRlimits(), request.lsm() != null ? request.lsm() : LsmHost.probe());
        HookRunner hooks = new HookRunner(spec.hooks());
        boolean beforePivot = hooks.has(HookKind.PRESTART, HookKind.CREATE_RUNTIME, HookKind.CREATE_CONTAINER);
        boolean beforeExec = hooks.has(HookKind.START_CONTAINER);
        ChildProgram.HookStops hookStops = beforePivot || beforeExec
                ? new ChildProgram.HookStops(9, 10, 11, 12, beforePivot, beforeExec) : null;
        ChildProgram.IdMapStop idMapStop = ChildProgram.needsIdMapStop(spec) ? new ChildProgram.IdMapStop(13, 14, 15, 16) : null;
        ChildSteps steps = ChildProgram.compile(context, PIPES, idMaps.setgroupsAllowed(), null, hookStops,
                LauncherMounts.none(), idMapStop, null, Boolean.TRUE.equals(spec.process().terminal()) ? 17 : -1); // placeholder console socket
        SetupPlan plan;
        try (SyscallTable table = steps.table()) {
            plan = steps.plan();
        }
        long cloneFlags = ChildProgram.cloneFlags(spec) | SpawnMode.current().cloneFlags();
        List<LauncherStep> launcher = new ArrayList<>(launcherSteps(spec, idMaps, limits, rootless));
        if (!rootless && idMaps.userNamespace() && spec.linux().createsNamespace("user")) {
            // LauncherMounts.prepare runs only for a real launch: it makes mounts, which a plan must not
            launcher.add(0, new LauncherStep("before clone, as root with a user namespace: the launcher may clone the root "
                    + "and bind mounts idmapped for the container's ids (open_tree, mount_setattr MOUNT_ATTR_IDMAP) and hand "
                    + "them to the child as fds; this plan shows the child's steps without them", "mount --bind -o X-mount.idmap=... SRC DST"));
        }
        return new DryRun(plan, launcher, cloneFlags);
    }

    private static List<LauncherStep> launcherSteps(Spec spec, IdMaps idMaps, ContainerLimits.Planned limits, boolean rootless) {
        List<LauncherStep> lines = new ArrayList<>();
        List<String> created = spec.linux().namespaces().stream()
                .filter(n -> n.path() == null || n.path().isEmpty()).map(LinuxNamespace::type).toList();
        lines.add(new LauncherStep("clone: new " + String.join(", ", created) + " namespaces (linux.namespaces)", unshare(created)));
        if (idMaps.userNamespace()) {
            lines.add(new LauncherStep("write uid_map " + oneLine(idMaps.uid()) + " and gid_map " + oneLine(idMaps.gid())
                    + (idMaps.setgroupsAllowed() ? "" : ", setgroups deny") + " (linux.uidMappings, linux.gidMappings)",
                    rootless ? "unshare --map-root-user (maps your uid to 0)"
                            : "newuidmap PID " + spaced(idMaps.uid()) + "; newgidmap PID " + spaced(idMaps.gid())));
        }
        lines.add(limits.cgroup().map(path -> new LauncherStep("create cgroup " + path + " and put the child in it (linux.resources)",
                        "mkdir " + path + " && echo PID > " + path + "/cgroup.procs"))
                .orElse(new LauncherStep("no cgroup of its own (" + limits.notApplied().orElse("the config sets no limits")
                        + (limits.fallbackRlimits().isEmpty() ? ")" : "); rlimits stand in for the default limits"), "")));
        lines.add(new LauncherStep("release the child: write one byte on the sync pipe; from here it runs the steps below, no Java", ""));
        return lines;
    }

    private static String unshare(List<String> namespaces) {
        StringBuilder command = new StringBuilder("unshare");
        for (String type : namespaces) {
            switch (type) {
                case "user" -> command.append(" --user --map-root-user");
                case "pid" -> command.append(" --pid --fork");
                case "mount" -> command.append(" --mount");
                case "uts" -> command.append(" --uts");
                case "ipc" -> command.append(" --ipc");
                case "network" -> command.append(" --net");
                case "cgroup" -> command.append(" --cgroup");
                case "time" -> command.append(" --time");
                default -> command.append(" --").append(type);
            }
        }
        return command.append(" -- /bin/sh").toString();
    }

    private static String oneLine(List<LinuxIdMapping> mappings) {
        return IdMaps.format(mappings).strip().replace("\n", ", ");
    }

    private static String spaced(List<LinuxIdMapping> mappings) {
        return IdMaps.format(mappings).strip().replace("\n", " ");
    }
}
