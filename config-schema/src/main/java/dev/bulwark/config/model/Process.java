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

    public Process withArgs(List<String> newArgs) {
        return new Process(terminal, consoleSize, user, newArgs, null, env, cwd, capabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority);
    }

    public Process withEnv(List<String> newEnv) {
        return new Process(terminal, consoleSize, user, args, commandLine, newEnv, cwd, capabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority);
    }

    public Process withCwd(String newCwd) {
        return new Process(terminal, consoleSize, user, args, commandLine, env, newCwd, capabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority);
    }

    public Process withUser(User newUser) {
        return new Process(terminal, consoleSize, newUser, args, commandLine, env, cwd, capabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority);
    }

    public Process withCapabilities(LinuxCapabilities newCapabilities) {
        return new Process(terminal, consoleSize, user, args, commandLine, env, cwd, newCapabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority);
    }

    public Process withNoNewPrivileges(Boolean newNoNewPrivileges) {
        return new Process(terminal, consoleSize, user, args, commandLine, env, cwd, capabilities, rlimits, newNoNewPrivileges,
                apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority);
    }

    public Process withTerminal(Boolean newTerminal) {
        return new Process(newTerminal, consoleSize, user, args, commandLine, env, cwd, capabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, scheduler, selinuxLabel, ioPriority);
    }
}
