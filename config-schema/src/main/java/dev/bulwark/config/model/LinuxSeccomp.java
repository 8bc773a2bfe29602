package dev.bulwark.config.model;

import java.util.List;

/**
 * A seccomp filter ({@code linux.seccomp}). Action names are {@code SCMP_ACT_*}, architectures
 * {@code SCMP_ARCH_*}, flags {@code SECCOMP_FILTER_FLAG_*}; rules are evaluated as libseccomp does.
 */
public record LinuxSeccomp(
        String defaultAction,
        Long defaultErrnoRet,
        List<String> architectures,
        List<String> flags,
        String listenerPath,
        String listenerMetadata,
        List<LinuxSyscall> syscalls) {

    public LinuxSeccomp {
        architectures = Copies.list(architectures);
        flags = Copies.list(flags);
        syscalls = Copies.list(syscalls);
    }
}
