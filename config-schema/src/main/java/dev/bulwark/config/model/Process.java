package dev.bulwark.config.model;

import java.util.List;

/** The container process ({@code process}). */
public record Process(
        Boolean terminal,
        ConsoleSize consoleSize,
        User user,
        List<String> args,
        String commandLine,
        List<String> env,
        String cwd,
        LinuxCapabilities capabilities,
        List<PosixRlimit> rlimits,
        Boolean noNewPrivileges,
        String apparmorProfile,
        Integer oomScoreAdj,
        Scheduler scheduler,
        String selinuxLabel,
        LinuxIOPriority ioPriority) {

    public Process {
        args = Copies.list(args);
        env = Copies.list(env);
        rlimits = Copies.list(rlimits);
    }
}
