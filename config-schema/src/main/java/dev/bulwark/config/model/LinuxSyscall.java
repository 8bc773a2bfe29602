package dev.bulwark.config.model;

import java.util.List;

/** One seccomp rule: {@code action} for the named syscalls when all {@code args} match. */
public record LinuxSyscall(List<String> names, String action, Long errnoRet, List<LinuxSeccompArg> args) {
    public LinuxSyscall {
        names = Copies.list(names);
        args = Copies.list(args);
    }
}
