package dev.bulwark.launcher.seccomp;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.LinuxSeccompArg;
import dev.bulwark.config.model.LinuxSyscall;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.SyscallAbi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The seccomp profile a container gets when its config has none: an allow-list in the spirit of
 * Docker's default, stricter where noted. Everything not listed fails with EPERM. Syscalls that
 * only a capability makes useful are allowed only when that capability is granted; a few are
 * denied even then, because no container of ours should need them (mounts, namespaces, modules,
 * kexec, bpf, perf, io_uring, clock setting, keyrings, open_by_handle_at, modify_ldt).
 *
 * <p>Only the host's native ABI is admitted: an i386 ({@code int 0x80}) or x32 call is killed
 * (SIGSYS), as systemd's {@code SystemCallArchitectures=native} does. The i386 multiplexers
 * {@code socketcall} and {@code ipc} take their arguments from memory, which seccomp cannot read,
 * so admitting i386 would let {@code socketcall(SYS_SOCKET, {AF_VSOCK, ...})} past the socket rule.
 *
 * <p>Every argument test is on an argument the kernel reads as a 32-bit int (socket family, ioctl
 * request, memfd_create flags, personality, the low word of clone's flags), so each one masks the
 * argument to its low word: a 64-bit comparison would let a caller set high bits the kernel
 * ignores, e.g. {@code socket((1L << 32) | AF_VSOCK, ...)}.
 */
public final class DefaultSeccompProfile {
    private static final String ALLOW = "SCMP_ACT_ALLOW";
    private static final String ERRNO = "SCMP_ACT_ERRNO";
    private static final long EPERM = 1;
    private static final long ENOSYS = 38;

    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME. */
    static final long CLONE_NAMESPACE_FLAGS = 0x00020000L | 0x02000000L | 0x04000000L | 0x08000000L
            | 0x10000000L | 0x20000000L | 0x40000000L | 0x00000080L;
    /** Pushes bytes into a terminal's input queue: a way out of the container through a shared tty. */
    static final long TIOCSTI = 0x5412;
    /** Its console subcommands include TIOCSTI-like input injection on virtual consoles. */
    static final long TIOCLINUX = 0x541C;
    /** The kernel reads these arguments as 32-bit ints, so only the low word may be compared. */
    private static final long LOW_WORD = 0xffffffffL;
    /**
     * AF_VSOCK reaches the host (or the VM's hypervisor) directly, past the network namespace;
     * AF_ALG is the kernel crypto API (CVE-2026-31431 "Copy Fail"). Docker's profile denies both.
     */
    static final List<Long> DENIED_SOCKET_FAMILIES = List.of(40L, 38L);
    /** memfd_create's request for an executable memfd; without it the container's memfds are sealed noexec. */
    static final long MFD_EXEC = 0x10;
    private static final long EACCES = 13;
    /** PER_LINUX, UNAME26 (0x0020000), PER_LINUX32 (0x8) and their combination, and the query 0xffffffff. */
    static final List<Long> SAFE_PERSONALITIES = List.of(0x0L, 0x8L, 0x20000L, 0x20008L, 0xffffffffL);

    /** What every program may call: process, memory, files, signals, time, sockets, IPC. */
    static final List<String> ALWAYS_ALLOWED = List.of(
            "accept", "accept4", "access", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir", "chmod",
            "chown", "chown32", "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
            "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
            "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
            "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
            "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
            "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
            "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
            "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue",
            "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_robust_list",
            "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
            "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
            "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
            "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
            "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
            "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
            "io_setup", "io_submit", "ioprio_get", "ioprio_set", "kill", "landlock_add_rule",
            "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
            "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
            "madvise", "map_shadow_stack", "membarrier", "memfd_create", "mincore", "mkdir", "mkdirat", "mknod",
            "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
            "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
            "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
            "munmap", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
            "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
            "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
            "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
            "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
            "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
            "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
            "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
            "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
            "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
            "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
            "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
            "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid",
            "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
            "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid",
            "setsockopt", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
            "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketpair", "splice",
            "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
            "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
            "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
            "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
            "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
            "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
            // x86 only: thread-local storage setup.
            "arch_prctl");

    /** Allowed only with the capability the kernel checks anyway; without it they only probe the kernel. */
    static final Map<String, List<String>> ALLOWED_WITH_CAPABILITY = Map.of(
            "CAP_SYS_PTRACE", List.of("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
                    "process_madvise"),
            "CAP_SYS_CHROOT", List.of("chroot"),
            "CAP_SYS_ADMIN", List.of("sethostname", "setdomainname", "fanotify_init", "quotactl", "quotactl_fd",
                    "lookup_dcookie"),
            "CAP_SYSLOG", List.of("syslog"),
            "CAP_SYS_NICE", List.of("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
            "CAP_SYS_RAWIO", List.of("iopl", "ioperm"),
            "CAP_SYS_TTY_CONFIG", List.of("vhangup"));

    /** Denied whatever the capabilities: listed so {@code seccomp show} and the tests can name them. */
    static final List<String> ALWAYS_DENIED = List.of(
            "keyctl", "add_key", "request_key", "mount", "umount", "umount2", "pivot_root", "move_mount", "fsopen",
            "fsconfig", "fsmount", "fspick", "open_tree", "mount_setattr", "unshare", "setns", "open_by_handle_at",
            "name_to_handle_at", "bpf", "perf_event_open", "kexec_load", "kexec_file_load", "init_module",
            "finit_module", "delete_module", "reboot", "swapon", "swapoff", "userfaultfd", "io_uring_setup",
            "io_uring_enter", "io_uring_register", "acct", "settimeofday", "clock_settime", "clock_settime64",
            "clock_adjtime", "clock_adjtime64", "adjtimex", "stime", "memfd_secret", "lsm_set_self_attr", "vm86",
            "vm86old", "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl", "create_module",
            "get_kernel_syms", "query_module",
            // The LDT only serves 16- and 32-bit code segments (Wine, DOSEMU); it has a history of
            // kernel bugs (CVE-2015-5157, CVE-2017-17053) and kernels can be built without it.
            "modify_ldt");

    private DefaultSeccompProfile() {
    }

    /** The profile for a container on {@code arch} granted {@code capabilities} (names like CAP_SYS_PTRACE). */
    public static LinuxSeccomp forContainer(Set<String> capabilities, Arch arch) {
        if (java.util.Collections.disjoint(capabilities, ALLOWED_WITH_CAPABILITY.keySet())) {
            WithoutCapabilities common = WithoutCapabilities.PROFILE;
            if (common != null && common.arch() == arch) {
                return common.profile(); // what build would make: only those capabilities change the profile
            }
        }
        return build(capabilities, arch);
    }

    /**
     * The profile for no capability that widens it on the host's architecture: most containers', made once per
     * process (a few hundred names looked up per ABI; every hardened launch asks for it). Immutable: a
     * LinuxSeccomp is a record of unmodifiable lists. Null where the host has no syscall table.
     */
    private record WithoutCapabilities(Arch arch, LinuxSeccomp profile) {
        static final WithoutCapabilities PROFILE = make(); // a holder: made on first use

        private static WithoutCapabilities make() {
            try {
                Arch host = Arch.requireHost();
                return new WithoutCapabilities(host, build(Set.of(), host));
            } catch (RuntimeException e) { // no table for this architecture: every call builds (and fails) as before
                return null;
            }
        }
    }

    private static LinuxSeccomp build(Set<String> capabilities, Arch arch) {
        List<SyscallAbi> abis = abisFor(arch);
        List<LinuxSyscall> rules = new ArrayList<>();
        // Exceptions first: the first matching rule decides.
        rules.add(rule(ERRNO, EPERM, names(abis, "ioctl"), masked(1, LOW_WORD, TIOCSTI)));
        rules.add(rule(ERRNO, EPERM, names(abis, "ioctl"), masked(1, LOW_WORD, TIOCLINUX)));
        for (long family : DENIED_SOCKET_FAMILIES) {
            rules.add(rule(ERRNO, EPERM, names(abis, "socket"), masked(0, LOW_WORD, family)));
        }
        // EACCES, as the kernel answers MFD_EXEC under vm.memfd_noexec=2 (which root launches also set).
        rules.add(rule(ERRNO, EACCES, names(abis, "memfd_create"), masked(1, MFD_EXEC, MFD_EXEC)));
        // No clone3: its flags sit behind a pointer seccomp cannot read. ENOSYS makes libc use clone.
        rules.add(rule(ERRNO, ENOSYS, names(abis, "clone3")));

        List<String> allowed = new ArrayList<>(ALWAYS_ALLOWED);
        allowed.add("ioctl");
        allowed.add("socket");
        ALLOWED_WITH_CAPABILITY.entrySet().stream()
                .filter(entry -> capabilities.contains(entry.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> allowed.addAll(entry.getValue()));
        allowed.removeAll(ALWAYS_DENIED);
        rules.add(rule(ALLOW, null, names(abis, allowed.stream().distinct().sorted().toArray(String[]::new))));

        // clone without any CLONE_NEW* flag: threads and fork, but no new namespaces. The kernel
        // reads only the low word of clone's flags, where all of them are.
        rules.add(rule(ALLOW, null, names(abis, "clone"), masked(0, CLONE_NAMESPACE_FLAGS, 0)));
        for (long persona : SAFE_PERSONALITIES) {
            rules.add(rule(ALLOW, null, names(abis, "personality"), masked(0, LOW_WORD, persona)));
        }

        List<String> architectures = abis.stream().map(SeccompArchitectures::ociName).toList();
        return new LinuxSeccomp(ERRNO, EPERM, architectures, List.of(), null, null, rules);
    }

    /**
     * The native ABI only. Docker also admits i386 and x32 on x86-64; we do not, because the i386
     * multiplexers hide their arguments from seccomp (see the class comment). A workload that
     * needs 32-bit binaries can bring its own linux.seccomp listing SCMP_ARCH_X86.
     */
    static List<SyscallAbi> abisFor(Arch arch) {
        return List.of(SyscallAbi.nativeTo(arch));
    }

    /** The names some of {@code abis} know, so the profile never names a syscall its arch lacks. */
    private static List<String> names(List<SyscallAbi> abis, String... names) {
        return java.util.Arrays.stream(names)
                .filter(name -> abis.stream().anyMatch(abi -> abi.find(name).isPresent()))
                .toList();
    }

    private static LinuxSyscall rule(String action, Long errno, List<String> names, LinuxSeccompArg... args) {
        return new LinuxSyscall(names, action, errno, List.of(args));
    }

    private static LinuxSeccompArg masked(int index, long mask, long expected) {
        return new LinuxSeccompArg(index, mask, expected, "SCMP_CMP_MASKED_EQ");
    }
}
