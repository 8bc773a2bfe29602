package dev.bulwark.launcher.child;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where AppArmor profiles and SELinux labels are applied. When the host has the LSM active, the
 * child writes the label for its execve (/proc/thread-self/attr/apparmor/exec, attr/exec): the
 * kernel switches to it exactly at execve. When the config asks for an LSM the host does not have,
 * the launch fails naming the field; {@code bulwark run --allow-missing-lsm} downgrades that to a
 * warning by removing the request ({@link #withoutMissing}).
 */
public final class LsmSteps {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private LsmSteps() {
    }

    public static boolean appArmorActive() {
        try {
            return Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).trim().equals("Y");
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean seLinuxActive() {
        return Files.exists(Path.of("/sys/fs/selinux/enforce"));
    }

    /** The fields asking for an LSM this host lacks, with the reason; empty when all can be honoured. */
    public static java.util.List<String> missing(Spec spec) {
        java.util.List<String> problems = new java.util.ArrayList<>();
        if (spec.process() != null && spec.process().apparmorProfile() != null && !spec.process().apparmorProfile().isEmpty() && !appArmorActive()) {
            problems.add("process.apparmorProfile: \"" + spec.process().apparmorProfile()
                    + "\" requested, but AppArmor is not active on this host");
        }
        if (spec.process() != null && spec.process().selinuxLabel() != null && !spec.process().selinuxLabel().isEmpty() && !seLinuxActive()) {
            problems.add("process.selinuxLabel: \"" + spec.process().selinuxLabel()
                    + "\" requested, but SELinux is not active on this host");
        }
        if (spec.linux() != null && spec.linux().mountLabel() != null && !spec.linux().mountLabel().isEmpty() && !seLinuxActive()) {
            problems.add("linux.mountLabel: \"" + spec.linux().mountLabel()
                    + "\" requested, but SELinux is not active on this host");
        }
        return problems;
    }

    /** Fails, naming each field, when the config asks for an LSM the host does not have. */
    static void requireAvailable(Spec spec) {
        var problems = missing(spec);
        if (!problems.isEmpty()) {
            throw new LaunchException(String.join("; ", problems)
                    + " (pass --allow-missing-lsm to run without it)");
        }
    }

    /** The spec without the LSM requests this host cannot honour (each one reported as a warning). */
    public static Spec withoutMissing(Spec spec) {
        var problems = missing(spec);
        if (problems.isEmpty()) {
            return spec;
        }
        problems.forEach(p -> LOG.log(System.Logger.Level.WARNING, p + "; running without it (--allow-missing-lsm)"));
        var p = spec.process();
        var process = new dev.bulwark.config.model.Process(p.terminal(), p.consoleSize(), p.user(), p.args(),
                p.commandLine(), p.env(), p.cwd(), p.capabilities(), p.rlimits(), p.noNewPrivileges(),
                appArmorActive() ? p.apparmorProfile() : null, p.oomScoreAdj(), p.scheduler(),
                seLinuxActive() ? p.selinuxLabel() : null, p.ioPriority());
        var l = spec.linux();
        var linux = new dev.bulwark.config.model.Linux(l.uidMappings(), l.gidMappings(), l.sysctl(), l.resources(),
                l.cgroupsPath(), l.namespaces(), l.devices(), l.seccomp(), l.rootfsPropagation(), l.maskedPaths(),
                l.readonlyPaths(), seLinuxActive() ? l.mountLabel() : null, l.intelRdt(), l.personality(), l.timeOffsets());
        return spec.withProcess(process).withLinux(linux);
    }

    /** Just before execve (after seccomp would block nothing here: open/write are allowed): label the exec. */
    static void labelExec(ChildSteps steps, Spec spec) {
        String profile = spec.process().apparmorProfile();
        if (profile != null && !profile.isEmpty() && appArmorActive()) {
            steps.writeExisting("set AppArmor profile " + profile, "the kernel confines the workload from its execve on",
                    "/proc/thread-self/attr/apparmor/exec", "exec " + profile);
        }
        String label = spec.process().selinuxLabel();
        if (label != null && !label.isEmpty() && seLinuxActive()) {
            steps.writeExisting("set SELinux label " + label, "the workload runs in this SELinux context from its execve on",
                    "/proc/thread-self/attr/exec", label);
        }
    }
}
