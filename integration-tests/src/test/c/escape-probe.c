/*
 * Escape probe for Bulwark's escape battery (EscapeBatteryTest). Built by the test with gcc -static.
 * "escape-probe battery" tries each escape and prints one line per attempt: "NAME RESULT", where
 * RESULT is the errno name of the failure (EPERM, EACCES, ...), a word describing a contained outcome
 * (EMPTY, NONE, CONTAINED, NOCAPS), or "ESCAPED ..." when the attempt worked.
 * "escape-probe caps" prints this process's euid and CapEff (exec'd as a setuid-root copy).
 * "escape-probe int80" prints YES when this kernel runs i386 system calls (int 0x80) from a 64-bit
 * process, NO otherwise; the test runs it outside any container to know what to expect inside.
 * Attempts that may kill the caller (a seccomp kill for a foreign ABI) run in a child; their
 * result is then the signal that ended it (SIGSYS), or how it exited.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

static int tried;

static void report(const char *name, long rc) {
    tried++;
    if (rc < 0) {
        printf("%s %s\n", name, strerrorname_np(errno));
    } else {
        printf("%s ESCAPED rc=%ld\n", name, rc);
    }
    fflush(stdout);
}

static void report_text(const char *name, const char *text) {
    tried++;
    printf("%s %s\n", name, text);
    fflush(stdout);
}

static void read_masked(const char *name, const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report(name, -1);
        return;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n == 0) {
        report_text(name, "EMPTY");
    } else if (n < 0) {
        report(name, -1);
    } else {
        printf("%s ESCAPED read %zd bytes\n", name, n);
        tried++;
    }
}

static void write_file(const char *name, const char *path) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        report(name, -1);
        return;
    }
    ssize_t n = write(fd, "x", 1);
    close(fd);
    report(name, n < 0 ? -1 : n);
}

/* Runs attempt() in a child: 0 means it worked (printed as success_word), else it returns an errno. */
static void in_child(const char *name, int (*attempt)(void), const char *success_word) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        _exit(attempt());
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        report(name, -1);
        return;
    }
    if (WIFSIGNALED(status)) {
        char text[32];
        snprintf(text, sizeof text, "SIG%s", sigabbrev_np(WTERMSIG(status)));
        report_text(name, text);
    } else if (WEXITSTATUS(status) == 0) {
        report_text(name, success_word);
    } else {
        errno = WEXITSTATUS(status);
        report(name, -1);
    }
}

/* i386 system call from this 64-bit process; the filter sees AUDIT_ARCH_I386. */
static long int80(long nr, long a, long b, long c) {
    long rc;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
    return rc;
}

static int int80_getpid(void) {
    return int80(20 /* i386 getpid */, 0, 0, 0) > 0 ? 0 : 1;
}

/* socketcall(SYS_SOCKET, {AF_VSOCK, SOCK_STREAM, 0}): the family is in memory, out of seccomp's sight. */
static int int80_socketcall_vsock(void) {
    unsigned int *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (args == MAP_FAILED) return errno;
    args[0] = 40;
    args[1] = SOCK_STREAM;
    args[2] = 0;
    long rc = int80(102 /* i386 socketcall */, 1 /* SYS_SOCKET */, (long) args, 0);
    return rc < 0 ? (int) -rc : 0;
}

static int int80_socket_vsock(void) {
    long rc = int80(359 /* i386 socket */, 40, SOCK_STREAM, 0);
    return rc < 0 ? (int) -rc : 0;
}

/* An x32 system call number (__X32_SYSCALL_BIT set) from a 64-bit process. */
static int x32_getpid(void) {
    long rc = syscall(0x40000000 | SYS_getpid);
    return rc < 0 ? errno : 0;
}

/* Run code written into a memfd: fexecve, as glibc does it (execveat with AT_EMPTY_PATH). */
static int memfd_exec(void) {
    int fd = memfd_create("probe", MFD_CLOEXEC);
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || self < 0) return errno;
    char buf[65536];
    ssize_t n;
    while ((n = read(self, buf, sizeof buf)) > 0) {
        if (write(fd, buf, n) != n) return errno;
    }
    char *argv[] = {"escape-probe", "memfd-ran", NULL};
    char *envp[] = {NULL};
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    return errno;
}

/* A session leader making a terminal of the container's own devpts its controlling terminal. */
static int tiocsctty_own_pty(void) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) return errno;
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return errno;
    if (setsid() < 0) return errno;
    return ioctl(slave, TIOCSCTTY, 0) < 0 ? errno : 0;
}

static const char readonly_bytes[] = "bulwark";

/* /proc/self/mem writes through page protections (FOLL_FORCE), here into this binary's .rodata. */
static void proc_self_mem_write(void) {
    int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        report("proc_self_mem_write", -1);
        return;
    }
    ssize_t n = pwrite(fd, "B", 1, (off_t) (unsigned long) readonly_bytes);
    close(fd);
    if (n < 0) {
        report("proc_self_mem_write", -1);
    } else {
        report_text("proc_self_mem_write", *(volatile const char *) readonly_bytes == 'B' ? "WROTE_READONLY_PAGE" : "NOCHANGE");
    }
}

static void caps(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    printf("euid=%d", (int) geteuid());
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "CapEff:", 7) == 0) {
            printf(" capeff=%s", line + 8);
        }
    }
    fflush(stdout);
}

static void setuid_binary(const char *self_dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/escape-probe-suid", self_dir);
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0) {
        report("setuid_root_binary", -1);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        execl(path, "escape-probe-suid", "caps", (char *) NULL);
        _exit(127);
    }
    close(out[1]);
    char buf[256] = {0};
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    close(out[0]);
    waitpid(pid, NULL, 0);
    if (n <= 0) {
        report_text("setuid_root_binary", "NOOUTPUT");
        return;
    }
    buf[strcspn(buf, "\n")] = 0;
    /* A setuid-root binary in the container: euid stays the caller's, and it holds no capability. */
    if (strstr(buf, "capeff=0000000000000000")) {
        char text[300];
        snprintf(text, sizeof text, "NOCAPS(%s)", buf);
        for (char *c = text; *c; c++) if (*c == ' ') *c = ',';
        report_text("setuid_root_binary", text);
    } else {
        printf("setuid_root_binary ESCAPED %s\n", buf);
        tried++;
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "caps") == 0) {
        caps();
        printf("\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "memfd-ran") == 0) {
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "int80") == 0) {
        pid_t pid = fork();
        if (pid == 0) _exit(int80_getpid());
        int status = 0;
        waitpid(pid, &status, 0);
        printf("%s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "YES" : "NO");
        return 0;
    }
    char self_dir[512] = ".";
    if (argc > 2) snprintf(self_dir, sizeof self_dir, "%s", argv[2]);

    /* 1. Shocker: open a host inode by handle (needs CAP_DAC_READ_SEARCH; blocked by seccomp). */
    {
        struct { unsigned int bytes; int type; unsigned char f[8]; } handle = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};
        report("shocker_open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY));
    }
    write_file("write_proc_sysrq_trigger", "/proc/sysrq-trigger");
    write_file("write_core_pattern", "/proc/sys/kernel/core_pattern");
    read_masked("read_proc_kcore", "/proc/kcore");
    read_masked("read_proc_keys", "/proc/keys");
    report("mknod_block_device", mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)));
    report("mount_tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
    report("fsopen_tmpfs", syscall(SYS_fsopen, "tmpfs", 0));
    {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        report("finit_module", syscall(SYS_finit_module, fd, "", 0));
        close(fd);
    }
    {
        static char image[64];
        report("init_module", syscall(SYS_init_module, image, sizeof image, ""));
    }
    report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1));
    report("add_key", syscall(SYS_add_key, "user", "bulwark", "x", 1, -3));
    {
        pid_t victim = fork();
        if (victim == 0) {
            pause();
            _exit(0);
        }
        report("ptrace_attach_other_process", syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, victim, 0, 0));
        kill(victim, SIGKILL);
        waitpid(victim, NULL, 0);
    }
    report("unshare_user_namespace", unshare(CLONE_NEWUSER));
    {
        long rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (rc == 0) _exit(0);
        if (rc > 0) waitpid(rc, NULL, 0);
        report("clone_new_user_namespace", rc);
    }
    {
        int fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        report("setns_user_namespace", setns(fd, CLONE_NEWUSER));
        close(fd);
    }
    {
        union bpf_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.map_type = BPF_MAP_TYPE_ARRAY;
        attr.key_size = 4;
        attr.value_size = 4;
        attr.max_entries = 1;
        report("bpf_map_create", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
    }
    {
        struct perf_event_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        report("perf_event_open", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    }
    {
        char params[120];
        memset(params, 0, sizeof params);
        report("io_uring_setup", syscall(SYS_io_uring_setup, 4, params));
    }
    {
        char c = 'x';
        report("tiocsti_terminal_injection", ioctl(1, TIOCSTI, &c));
    }
    setuid_binary(self_dir);
    {
        struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        data[0].effective = data[0].permitted = 1u << CAP_SYS_ADMIN;
        report("capset_raise_cap_sys_admin", syscall(SYS_capset, &header, data));
    }
    {
        int fd = open("/escape-test", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
        report("write_root_filesystem", fd);
    }
    {
        /* Every fd the container holds: only stdio and the directory being read may be there. */
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        char found[256] = "";
        while (d && (e = readdir(d))) {
            int fd = atoi(e->d_name);
            if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d)) continue;
            char link[64], target[200] = "";
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            readlink(link, target, sizeof target - 1);
            strncat(found, target, sizeof found - strlen(found) - 2);
            strcat(found, ",");
        }
        if (d) closedir(d);
        if (found[0]) {
            printf("host_fd_via_proc_self_fd ESCAPED %s\n", found);
            tried++;
        } else {
            report_text("host_fd_via_proc_self_fd", "NONE");
        }
    }
    {
        char cwd[512];
        chdir("/");
        for (int i = 0; i < 64; i++) chdir("..");
        char link[512] = "";
        readlink("/proc/self/cwd", link, sizeof link - 1);
        if (getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0 && strcmp(link, "/") == 0) {
            report_text("cwd_outside_root", "CONTAINED");
        } else {
            printf("cwd_outside_root ESCAPED cwd=%s link=%s\n", cwd, link);
            tried++;
        }
    }
    {
        mkdir("/tmp/jail", 0755);
        report("chroot_escape", chroot("/tmp/jail"));
    }
    report("raw_socket", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
    report("packet_socket", socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
    report("vsock_socket", socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
    /* The kernel reads the family as an int: bits above it must not get past the filter. */
    report("vsock_socket_high_bits", syscall(SYS_socket, (1L << 32) | 40, SOCK_STREAM, 0));
    report("vsock_socket_sign_bits", syscall(SYS_socket, 0xffffffff00000000L | 40, SOCK_STREAM, 0));
    report("alg_socket", socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0));
    report("alg_socket_high_bits", syscall(SYS_socket, (1L << 32) | 38, SOCK_SEQPACKET, 0));
    {
        char c = 'x';
        report("tiocsti_high_bits", syscall(SYS_ioctl, 1, (1L << 32) | TIOCSTI, &c));
    }
    {
        long rc = syscall(SYS_clone, (1L << 32) | CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (rc == 0) _exit(0);
        if (rc > 0) waitpid(rc, NULL, 0);
        report("clone_new_user_namespace_high_bits", rc);
    }
    report("personality_high_bits", syscall(SYS_personality, (1L << 32) | 0x0040000 /* ADDR_NO_RANDOMIZE */));
    in_child("int80_socketcall_vsock", int80_socketcall_vsock, "ESCAPED");
    in_child("int80_socket_vsock", int80_socket_vsock, "ESCAPED");
    in_child("x32_syscall", x32_getpid, "ESCAPED");
    {
        char ldt[16];
        report("modify_ldt", syscall(SYS_modify_ldt, 0, ldt, sizeof ldt));
    }
    report("memfd_create_mfd_exec", memfd_create("probe", 0x10 /* MFD_EXEC */ | MFD_CLOEXEC));
    report("memfd_create_mfd_exec_high_bits", syscall(SYS_memfd_create, "probe", (1L << 32) | 0x10 | MFD_CLOEXEC));
    {
        /* A plain memfd must still work (sealed non-executable under vm.memfd_noexec=2, not refused). */
        int fd = memfd_create("probe", MFD_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            report_text("memfd_create_plain", "CREATED");
        } else {
            report("memfd_create_plain", -1);
        }
    }
    in_child("memfd_exec", memfd_exec, "ESCAPED");
    proc_self_mem_write();
    in_child("tiocsctty_own_pty", tiocsctty_own_pty, "CONTROLLING_TTY");
    report("acct", acct("/tmp/acct"));
    report("reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, 0));
    {
        int fd = open("/tmp/swap", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) close(fd);
        report("swapon", syscall(SYS_swapon, "/tmp/swap", 0));
    }
    {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        report("settimeofday", settimeofday(&tv, NULL));
    }
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        report("clock_settime", clock_settime(CLOCK_REALTIME, &ts));
    }
    report("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
    report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
    printf("TRIED %d\n", tried);
    return 0;
}
