package dev.bulwark.launcher.audit;

/**
 * The items the audit checks: those of the CIS Docker Benchmark v1.6.0, section 5 (Container Runtime
 * Configuration), that an OCI config decides, numbered as in v1.6.0, plus Bulwark's own (B1..B3). Items about the
 * engine or the image (swarm, sshd, ports, restart policy, health checks, exec, ulimit defaults) have nothing to read
 * in a config.json and are left out; 5.2 and 5.3 (AppArmor, SELinux) depend on the host's LSM, which Bulwark's
 * Landlock rules (B1) stand in for.
 */
final class BenchmarkItems {
    private BenchmarkItems() {
    }

    static final String BENCHMARK = "CIS Docker Benchmark v1.6.0, section 5 (Container Runtime Configuration)";

    static final Finding CAPABILITIES = item("5.4", "Linux kernel capabilities are restricted", "process.capabilities",
            "each capability held is root power the workload keeps: CAP_SYS_ADMIN alone allows mounts, namespaces and "
                    + "most known escapes, CAP_NET_RAW allows spoofed packets",
            "list only the capabilities the workload needs in process.capabilities (none, as bulwark spec writes)",
            "capabilities");
    static final Finding PRIVILEGED = item("5.5", "the container is not privileged", "process.capabilities, "
                    + "linux.resources.devices, linux.seccomp",
            "a privileged container (every capability, every device, no seccomp) can do almost all the host's root can, "
                    + "such as loading kernel modules or mounting the host's disks",
            "drop the full capability set, the allow-all device rule and run with a seccomp filter",
            "capabilities");
    static final Finding SENSITIVE_MOUNTS = item("5.6", "sensitive host directories are not mounted", "mounts",
            "a bind of /, /boot, /dev, /etc, /lib, /proc, /sys or /usr from the host lets the container read secrets "
                    + "or, writable, change the host's system files",
            "remove the bind, or bind only the file or directory the workload needs, read-only",
            "mounts");
    static final Finding HOST_NETWORK = item("5.10", "the host's network namespace is not shared", "linux.namespaces",
            "in the host's network namespace the container reaches every host interface, local-only service and "
                    + "abstract unix socket",
            "add {\"type\": \"network\"} to linux.namespaces",
            "network");
    static final Finding MEMORY = item("5.11", "memory usage is limited", "linux.resources.memory.limit",
            "without a limit one container can use up the host's memory and have other processes OOM-killed",
            "set linux.resources.memory.limit (bulwark spec: 512 MiB)",
            "cgroups");
    static final Finding CPU = item("5.12", "CPU priority is set", "linux.resources.cpu",
            "without a CPU weight or quota a busy container competes for CPU on equal terms with the host's services",
            "set linux.resources.cpu.shares, or quota and period (bulwark run --cpus)",
            "cgroups");
    static final Finding READONLY_ROOT = item("5.13", "the root filesystem is read-only", "root.readonly",
            "a writable root lets an intruder change the image's programs and keep tools in it",
            "set root.readonly to true and mount tmpfs where the workload writes",
            "root.readonly");
    static final Finding HOST_PID = item("5.16", "the host's process namespace is not shared", "linux.namespaces",
            "in the host's pid namespace the container sees every host process and can signal or trace those of its uid",
            "add {\"type\": \"pid\"} to linux.namespaces",
            "pid-namespace");
    static final Finding HOST_IPC = item("5.17", "the host's IPC namespace is not shared", "linux.namespaces",
            "in the host's IPC namespace the container can read and change the host's System V shared memory, "
                    + "semaphores and message queues",
            "add {\"type\": \"ipc\"} to linux.namespaces",
            "ipc-namespace");
    static final Finding DEVICES = item("5.18", "host devices are not exposed", "linux.devices, linux.resources.devices",
            "a host device node gives direct access to hardware: a disk can be read or written below every file permission",
            "remove the device from linux.devices and its allow rule from linux.resources.devices",
            "devices");
    static final Finding PROPAGATION = item("5.20", "mount propagation is not shared", "linux.rootfsPropagation, "
                    + "mounts[].options",
            "with shared propagation a mount made in the container appears on the host, and the host's mounts in it",
            "use private or slave (rprivate, rslave) propagation",
            "mount-namespace");
    static final Finding HOST_UTS = item("5.21", "the host's UTS namespace is not shared", "linux.namespaces",
            "in the host's UTS namespace the container's sethostname renames the host",
            "add {\"type\": \"uts\"} to linux.namespaces",
            "uts-namespace");
    static final Finding SECCOMP = item("5.22", "the seccomp filter is not disabled", "linux.seccomp",
            "without a filter every system call reaches the kernel: ptrace, keyctl, bpf, userfaultfd and new namespaces "
                    + "are the entry points of most container escapes through kernel bugs",
            "give linux.seccomp an allow-list (bulwark seccomp show prints Bulwark's), or run with --profile hardened",
            "seccomp");
    static final Finding NO_NEW_PRIVS = item("5.26", "the container cannot acquire new privileges",
            "process.noNewPrivileges",
            "without no_new_privs a setuid or file-capability program in the image gains privileges at execve",
            "set process.noNewPrivileges to true",
            "no_new_privs");
    static final Finding PIDS = item("5.29", "the PIDs cgroup limit is used", "linux.resources.pids.limit",
            "without a limit a fork bomb in the container exhausts the host's process table",
            "set linux.resources.pids.limit (bulwark spec: 1024)",
            "cgroups");
    static final Finding USER_NAMESPACE = item("5.31", "the host's user namespace is not shared", "linux.namespaces, "
                    + "linux.uidMappings",
            "without a user namespace container root is host root: any escape (CVE-2019-5736, CVE-2022-0492) "
                    + "lands as root on the host",
            "add {\"type\": \"user\"} to linux.namespaces with uidMappings/gidMappings onto unprivileged host ids "
                    + "(bulwark spec does), or run with --profile hardened",
            "userns");
    static final Finding ENGINE_SOCKET = item("5.32", "no container engine socket is mounted", "mounts",
            "a mounted docker, containerd, CRI-O or Podman socket lets the container start a privileged container "
                    + "of its own: root on the host",
            "remove the socket's bind mount",
            "mounts");
    static final Finding LANDLOCK = item("B1", "Landlock rules confine file access", "annotations[\"dev.bulwark.landlock\"]",
            "without Landlock, mounts and permissions alone decide what the container can write",
            "run under --profile hardened for the default rules, or give the annotation rules such as "
                    + "\"/=rx;/tmp=rw\" (never \"off\")",
            "landlock");
    static final Finding MASKED_PATHS = item("B2", "kernel interfaces in /proc and /sys are masked", "linux.maskedPaths",
            "unmasked, /proc/kcore, /proc/keys, /proc/timer_list and /sys/firmware leak kernel memory layout, "
                    + "keys and firmware data",
            "add the missing paths to linux.maskedPaths (bulwark spec lists them)",
            "masked-paths");
    static final Finding READONLY_PATHS = item("B3", "kernel tunables in /proc are read-only", "linux.readonlyPaths",
            "a writable /proc/sys or /proc/sysrq-trigger lets container root tune or crash the host's kernel",
            "add the missing paths to linux.readonlyPaths (bulwark spec lists them)",
            "masked-paths");

    private static Finding item(String item, String title, String field, String risk, String fix, String topic) {
        return new Finding(item, title, field, null, null, risk, fix, topic);
    }
}
