package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.EffectiveConfig;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.plan.ProfileSelection;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerRun;
import dev.bulwark.launcher.runtime.HostHandoff;
import dev.bulwark.launcher.runtime.LaunchStep;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.launcher.runtime.ParentHardening;
import dev.bulwark.launcher.runtime.RunRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code bulwark create ID}: sets the container up and leaves its init waiting on exec.fifo for
 * {@code start}; no Bulwark process stays behind.
 */
@Command(name = "create", mixinStandardHelpOptions = true, description = {
        "Create a container from a bundle: every setup step is done and its init waits for 'start'. This is the "
                + "first half of runc's lifecycle (create, start, state, kill, delete), the verbs engines such as Podman "
                + "and containerd drive: namespaces, id maps, cgroup, mounts, pivot_root, masked paths, capabilities, "
                + "Landlock are all in place and the init is blocked on exec.fifo, so 'bulwark state ID' and "
                + "/proc/PID/ns show a fully isolated process that has not yet run any of the workload's code.",
        "Exit status 0 once it is created; 125 (one line naming the step or field) when it cannot be, leaving nothing behind."},
        footer = {"", "Examples:",
                "  bulwark spec -b mybundle && bulwark create -b mybundle demo  # init waits",
                "  bulwark state demo                          # status created, its pid",
                "  bulwark start demo && bulwark delete --force demo"})
final class CreateCommand implements Callable<Integer> {
    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR", description = "bundle directory holding config.json (default: the current directory)")
    Path bundle;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "write the init's host pid to FILE (atomically)")
    Path pidFile;

    @Option(names = "--console-socket", paramLabel = "SOCKET", description = "with process.terminal true: the AF_UNIX "
            + "stream socket the container's pty master is sent to (SCM_RIGHTS, as runc), the pty made in the container's own devpts")
    Path consoleSocket;

    @Mixin
    HandoffOptions handoff;

    @Option(names = "--no-pivot", description = "accepted for engines; Bulwark always uses pivot_root")
    boolean noPivot;

    @Option(names = "--no-new-keyring", description = "accepted for engines; no session keyring is made")
    boolean noNewKeyring;

    @Option(names = "--host-id-range", paramLabel = "START[:SIZE]", converter = HostIdRange.class,
            description = "host uid/gid range container ids map onto when running as root (default: 1000000000:65536)")
    LinuxIdMapping hostIdRange = HostIdRange.defaultRange();

    @Option(names = "--allow-host-root", description = "confirm a config that maps container ids onto host root "
            + "(needed under the hardened profile only)")
    boolean allowHostRoot;

    @Option(names = "--profile", paramLabel = "hardened|oci", description = "oci (default): the config means what the runtime spec "
            + "says; hardened: add a user namespace, no_new_privs, the default seccomp profile, a read-only root. "
            + "Default from the global --profile before the verb, then BULWARK_PROFILE, then /etc/bulwark/bulwark.json {\"profile\": ...}, then oci")
    String profile;

    @Option(names = "--allow-missing-lsm",
            description = "run without an AppArmor profile or SELinux label the config asks for when this host lacks that LSM (warns)")
    boolean allowMissingLsm;

    @Mixin
    StateRootOption stateRoot;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec; // the global --profile, before the verb

    @Parameters(paramLabel = "ID", description = "the new container's id: letters, digits, _ + - . (runc's rule)")
    String id;

    @Override
    public Integer call() {
        String containerId = ContainerId.parse(id, "ID").value();
        HostHandoff passed = handoff.handoff(false); // before anything is made
        Path bundleDirectory = (bundle != null ? bundle : Path.of("")).toAbsolutePath();
        Profile selected = ProfileSelection.of(profile, BulwarkCli.globalProfile(commandSpec)).profile();
        EffectiveConfig effective = EffectiveConfig.of(BundleConfig.read(bundleDirectory), selected, Syscalls.geteuid() != 0,
                false, allowHostRoot, allowMissingLsm); // the bundle's init annotation, as run honours it
        Spec spec = effective.spec();
        spec = BulwarkCli.cgroupManager(commandSpec).apply(spec);
        boolean hostRootAllowed = effective.hostRootAllowed();
        LsmHost lsm = effective.lsm();
        ParentHardening.makeLauncherNonDumpable();
        ContainerRun.create(new RunRequest(spec, bundleDirectory, containerId, false, stateRoot.resolve(), hostRootAllowed,
                hostIdRange, null, LaunchStep.fromEnvironment(),
                new RunRequest.CreateOptions(pidFile, handoff.preserveFds, false, consoleSocket), lsm, null, passed));
        return 0;
    }
}
