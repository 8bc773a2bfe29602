package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import dev.bulwark.launcher.plan.LsmHost;

/**
 * Where AppArmor profiles and SELinux labels are applied. When the host has the LSM active, the
 * child writes the label for its execve (/proc/thread-self/attr/apparmor/exec, attr/exec): the
 * kernel switches to it exactly at execve. When the config asks for an LSM the host does not have,
 * the launch fails naming the field, except where runc or crun run such a config ({@link #forLaunch}):
 * under the {@code oci} profile an AppArmor profile (crun skips it when AppArmor is disabled) and a
 * mount label (crun ignores it without SELinux) are not applied, with a warning naming the field;
 * a process SELinux label is still refused (runc: "selinux label is specified in config, but selinux
 * is disabled"). {@code --allow-missing-lsm} drops every such request with a warning. What the host
 * has is probed once per launch ({@link LsmHost}, carried by the request and the launch context).
 */
public final class LsmSteps {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private LsmSteps() {
    }

    /** The fields asking for an LSM this host lacks, with the reason; empty when all can be honoured. */
    public static java.util.List<String> missing(Spec spec, LsmHost host) {
        java.util.List<String> problems = new java.util.ArrayList<>();
        if (spec.process() != null && spec.process().apparmorProfile() != null && !spec.process().apparmorProfile().isEmpty() && !host.appArmor()) {
            problems.add("process.apparmorProfile: \"" + spec.process().apparmorProfile()
                    + "\" requested, but AppArmor is not active on this host");
        }
        if (spec.process() != null && spec.process().selinuxLabel() != null && !spec.process().selinuxLabel().isEmpty() && !host.seLinux()) {
            problems.add("process.selinuxLabel: \"" + spec.process().selinuxLabel()
                    + "\" requested, but SELinux is not active on this host");
        }
        if (spec.linux() != null && spec.linux().mountLabel() != null && !spec.linux().mountLabel().isEmpty() && !host.seLinux()) {
            problems.add("linux.mountLabel: \"" + spec.linux().mountLabel()
                    + "\" requested, but SELinux is not active on this host");
        }
        return problems;
    }

    /** Fails, naming each field, when the config asks for an LSM the host does not have. */
    static void requireAvailable(Spec spec, LsmHost host) {
        var problems = missing(spec, host);
        if (!problems.isEmpty()) {
            throw new LaunchException(String.join("; ", problems)
                    + " (pass --allow-missing-lsm to run without it)");
        }
    }

    /** The spec without the LSM requests this host cannot honour (each one reported as a warning). */
    public static Spec withoutMissing(Spec spec, LsmHost host) {
        return without(spec, host, true, "running without it (--allow-missing-lsm)");
    }

    /**
     * The config a launch runs, as far as LSMs go: with {@code --allow-missing-lsm} every request the host
     * cannot honour is dropped; under the oci profile the ones runc or crun run without (an AppArmor profile,
     * a mount label); under the hardened profile none (the launch then refuses them, naming the field).
     * Each dropped request is one warning line naming the field.
     *
     * @param ociProfile whether the effective profile is {@code oci}
     */
    public static Spec forLaunch(Spec spec, LsmHost host, boolean ociProfile, boolean allowMissing) {
        if (allowMissing) {
            return withoutMissing(spec, host);
        }
        return ociProfile ? without(spec, host, false, "not applied (the oci profile runs it as crun does)") : spec;
    }

    /** Drops the requests the host cannot honour; a process SELinux label only when {@code selinuxLabelToo}. */
    private static Spec without(Spec spec, LsmHost host, boolean selinuxLabelToo, String outcome) {
        var p = spec.process();
        var l = spec.linux();
        boolean dropProfile = p != null && p.apparmorProfile() != null && !p.apparmorProfile().isEmpty() && !host.appArmor();
        boolean dropLabel = selinuxLabelToo && p != null && p.selinuxLabel() != null && !p.selinuxLabel().isEmpty()
                && !host.seLinux();
        boolean dropMountLabel = l != null && l.mountLabel() != null && !l.mountLabel().isEmpty() && !host.seLinux();
        if (dropProfile) {
            warn("process.apparmorProfile: \"" + p.apparmorProfile() + "\" requested, but AppArmor is not active on this host; " + outcome);
        }
        if (dropLabel) {
            warn("process.selinuxLabel: \"" + p.selinuxLabel() + "\" requested, but SELinux is not active on this host; " + outcome);
        }
        if (dropMountLabel) {
            warn("linux.mountLabel: \"" + l.mountLabel() + "\" requested, but SELinux is not active on this host; " + outcome);
        }
        Spec result = spec;
        if (dropProfile || dropLabel) {
            result = result.withProcess(new dev.bulwark.config.model.Process(p.terminal(), p.consoleSize(), p.user(), p.args(),
                    p.commandLine(), p.env(), p.cwd(), p.capabilities(), p.rlimits(), p.noNewPrivileges(),
                    dropProfile ? null : p.apparmorProfile(), p.oomScoreAdj(), p.scheduler(),
                    dropLabel ? null : p.selinuxLabel(), p.ioPriority()));
        }
        if (dropMountLabel) {
            result = result.withLinux(new dev.bulwark.config.model.Linux(l.uidMappings(), l.gidMappings(), l.sysctl(), l.resources(),
                    l.cgroupsPath(), l.namespaces(), l.devices(), l.seccomp(), l.rootfsPropagation(), l.maskedPaths(),
                    l.readonlyPaths(), null, l.intelRdt(), l.personality(), l.timeOffsets()));
        }
        return result;
    }

    private static void warn(String line) {
        LOG.log(System.Logger.Level.WARNING, line);
    }

    /** Just before execve (after seccomp would block nothing here: open/write are allowed): label the exec. */
    static void labelExec(ChildSteps steps, Spec spec, LsmHost host) {
        labelExec(steps, spec, host, -1);
    }

    /**
     * Labels the exec through {@code hostProc}, a procfs directory fd the launcher opened in its own mount
     * namespace (-1: /proc by path). {@code exec} writes after joining the container's mount namespace, where a
     * container process could have mounted over /proc and swallowed the label (runc's CVE-2019-16884).
     */
    static void labelExec(ChildSteps steps, Spec spec, LsmHost host, int hostProc) {
        String profile = spec.process().apparmorProfile();
        if (profile != null && !profile.isEmpty() && host.appArmor()) {
            steps.field("process.apparmorProfile");
            write(steps, hostProc, "set AppArmor profile " + profile, "the kernel confines the workload from its execve on",
                    "thread-self/attr/apparmor/exec", "exec " + profile);
        }
        String label = spec.process().selinuxLabel();
        if (label != null && !label.isEmpty() && host.seLinux()) {
            steps.field("process.selinuxLabel");
            write(steps, hostProc, "set SELinux label " + label, "the workload runs in this SELinux context from its execve on",
                    "thread-self/attr/exec", label);
        }
    }

    private static void write(ChildSteps steps, int hostProc, String name, String why, String underProc, String content) {
        if (hostProc < 0) {
            steps.writeExisting(name, why, "/proc/" + underProc, content);
        } else {
            steps.writeExistingUnder(name, why, hostProc, underProc, content);
        }
    }
}
