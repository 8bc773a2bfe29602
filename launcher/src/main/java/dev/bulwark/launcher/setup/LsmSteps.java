package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import dev.bulwark.launcher.plan.LsmHost;

/**
 * Where AppArmor profiles and SELinux labels are applied. When the host has the LSM active, the
 * child writes the label for its execve (/proc/thread-self/attr/apparmor/exec, attr/exec): the
 * kernel switches to it exactly at execve. When the config asks for an LSM the host does not have,
 * the launch fails naming the field; {@code bulwark run --allow-missing-lsm} downgrades that to a
 * warning by removing the request ({@link #withoutMissing}). What the host has is probed once per
 * launch ({@link LsmHost}, carried by the launch context) and passed in.
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
        var problems = missing(spec, host);
        if (problems.isEmpty()) {
            return spec;
        }
        problems.forEach(p -> LOG.log(System.Logger.Level.WARNING, p + "; running without it (--allow-missing-lsm)"));
        var p = spec.process();
        var process = new dev.bulwark.config.model.Process(p.terminal(), p.consoleSize(), p.user(), p.args(),
                p.commandLine(), p.env(), p.cwd(), p.capabilities(), p.rlimits(), p.noNewPrivileges(),
                host.appArmor() ? p.apparmorProfile() : null, p.oomScoreAdj(), p.scheduler(),
                host.seLinux() ? p.selinuxLabel() : null, p.ioPriority());
        var l = spec.linux();
        var linux = new dev.bulwark.config.model.Linux(l.uidMappings(), l.gidMappings(), l.sysctl(), l.resources(),
                l.cgroupsPath(), l.namespaces(), l.devices(), l.seccomp(), l.rootfsPropagation(), l.maskedPaths(),
                l.readonlyPaths(), host.seLinux() ? l.mountLabel() : null, l.intelRdt(), l.personality(), l.timeOffsets());
        return spec.withProcess(process).withLinux(linux);
    }

    /** Just before execve (after seccomp would block nothing here: open/write are allowed): label the exec. */
    static void labelExec(ChildSteps steps, Spec spec, LsmHost host) {
        String profile = spec.process().apparmorProfile();
        if (profile != null && !profile.isEmpty() && host.appArmor()) {
            steps.field("process.apparmorProfile");
            steps.writeExisting("set AppArmor profile " + profile, "the kernel confines the workload from its execve on",
                    "/proc/thread-self/attr/apparmor/exec", "exec " + profile);
        }
        String label = spec.process().selinuxLabel();
        if (label != null && !label.isEmpty() && host.seLinux()) {
            steps.field("process.selinuxLabel");
            steps.writeExisting("set SELinux label " + label, "the workload runs in this SELinux context from its execve on",
                    "/proc/thread-self/attr/exec", label);
        }
    }
}
