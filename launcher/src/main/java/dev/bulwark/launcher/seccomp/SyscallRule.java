package dev.bulwark.launcher.seccomp;

import java.util.List;

/**
 * One {@code linux.seccomp.syscalls[i]} entry: the action applies to a call of any of
 * {@code names} whose arguments satisfy every comparison. {@code path} is the entry's JSON path,
 * for error messages.
 */
public record SyscallRule(String path, List<String> names, SeccompAction action, List<ArgComparison> args) {
    public SyscallRule {
        names = List.copyOf(names);
        args = List.copyOf(args);
    }

    public boolean unconditional() {
        return args.isEmpty();
    }
}
