package dev.bulwark.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The escape battery: a static C probe (src/test/c/escape-probe.c, compiled here with gcc -static)
 * tries 53 attempts inside a default container (the built-in default, zero hardening flags; the only
 * option is --mount of the probe's directory, read-only and nosuid) and each must fail precisely as
 * listed. Run as root and rootless. Four outcomes are not failures, and the README says why:
 * memfd_create_plain (ordinary memfds must keep working), memfd_exec as rootless (only a root
 * launch can set vm.memfd_noexec), proc_self_mem_write (nothing per container can stop it) and
 * tiocsctty_own_pty (a pty of the container's own devpts).
 */
class EscapeBatteryTest {
    private static Path probeDir;
    private static String skipReason;
    /** Whether this kernel runs i386 system calls from a 64-bit process (CONFIG_IA32_EMULATION). */
    private static boolean int80Available;

    /** Attempt -> the exact outcome that proves it was blocked, and by which layer. */
    static Map<String, String> expected(Mode mode) {
        return expected(mode, int80Available);
    }

    /** As {@link #expected(Mode)} for a kernel that does or does not run i386 system calls (PodmanTest's probe asks). */
    static Map<String, String> expected(Mode mode, boolean int80Available) {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("shocker_open_by_handle_at", "EPERM");          // seccomp (always denied)
        // /proc/sysrq-trigger is absent when the kernel lacks CONFIG_MAGIC_SYSRQ; else root-owned 0200 and a read-only mount
        e.put("write_proc_sysrq_trigger", Files.exists(Path.of("/proc/sysrq-trigger")) ? "EACCES" : "ENOENT");
        e.put("write_core_pattern", "EACCES");                // host-root-owned, no CAP_DAC_OVERRIDE; /proc/sys read-only too
        e.put("read_proc_kcore", Files.exists(Path.of("/proc/kcore")) ? "EMPTY" : "ENOENT"); // masked by /dev/null
        e.put("read_proc_keys", "EMPTY");                     // masked by /dev/null
        e.put("mknod_block_device", "EACCES");                // Landlock (no MAKE_BLOCK anywhere), then no CAP_MKNOD
        e.put("mount_tmpfs", "EPERM");                        // seccomp
        e.put("fsopen_tmpfs", "EPERM");                       // seccomp
        e.put("finit_module", "EPERM");                       // seccomp
        e.put("init_module", "EPERM");                        // seccomp
        e.put("keyctl", "EPERM");                             // seccomp
        e.put("add_key", "EPERM");                            // seccomp
        e.put("ptrace_attach_other_process", "EPERM");        // seccomp (ptrace only with CAP_SYS_PTRACE)
        e.put("unshare_user_namespace", "EPERM");             // seccomp
        e.put("clone_new_user_namespace", "EPERM");           // seccomp (clone flags checked)
        e.put("setns_user_namespace", "EPERM");               // seccomp
        e.put("bpf_map_create", "EPERM");                     // seccomp
        e.put("perf_event_open", "EPERM");                    // seccomp
        e.put("io_uring_setup", "EPERM");                     // seccomp
        e.put("tiocsti_terminal_injection", "EPERM");         // seccomp (ioctl TIOCSTI)
        e.put("setuid_root_binary", "NOCAPS(euid=0,capeff=0000000000000000)"); // NNP, nosuid, unmapped owner, empty bounding set
        e.put("capset_raise_cap_sys_admin", "EPERM");         // not in the permitted or bounding set
        e.put("write_root_filesystem", "EROFS");              // read-only root
        e.put("host_fd_via_proc_self_fd", "NONE");            // close_range: no launcher fd survives
        e.put("cwd_outside_root", "CONTAINED");               // pivot_root + detached old root
        e.put("chroot_escape", "EPERM");                      // seccomp (chroot only with CAP_SYS_CHROOT)
        e.put("raw_socket", "EPERM");                         // no CAP_NET_RAW
        e.put("packet_socket", "EPERM");                      // no CAP_NET_RAW
        e.put("vsock_socket", "EPERM");                       // seccomp (AF_VSOCK)
        e.put("acct", "EPERM");                               // seccomp
        e.put("reboot", "EPERM");                             // seccomp
        e.put("swapon", "EPERM");                             // seccomp
        e.put("settimeofday", "EPERM");                       // seccomp
        e.put("clock_settime", "EPERM");                      // seccomp
        e.put("userfaultfd", "EPERM");                        // seccomp
        e.put("kexec_load", "EPERM");                         // seccomp
        // Bits above a 32-bit int argument, which the kernel drops: the filter compares the low word.
        e.put("vsock_socket_high_bits", "EPERM");             // seccomp (socket((1<<32)|AF_VSOCK))
        e.put("vsock_socket_sign_bits", "EPERM");             // seccomp
        e.put("alg_socket", "EPERM");                         // seccomp (AF_ALG, as Docker)
        e.put("alg_socket_high_bits", "EPERM");               // seccomp
        e.put("tiocsti_high_bits", "EPERM");                  // seccomp
        e.put("clone_new_user_namespace_high_bits", "EPERM"); // seccomp
        e.put("personality_high_bits", "EPERM");              // seccomp
        // Other entry points: i386 (int 0x80; socketcall's arguments are in memory) and x32 are killed.
        // Without IA32 emulation int 0x80 faults (SIGSEGV) before any filter runs.
        e.put("int80_socketcall_vsock", int80Available ? "SIGSYS" : "SIGSEGV");
        e.put("int80_socket_vsock", int80Available ? "SIGSYS" : "SIGSEGV");
        e.put("x32_syscall", "SIGSYS");                       // seccomp: x32 numbers on AUDIT_ARCH_X86_64
        e.put("modify_ldt", "EPERM");                         // seccomp
        e.put("memfd_create_mfd_exec", "EACCES");             // seccomp (and vm.memfd_noexec=2 as root)
        e.put("memfd_create_mfd_exec_high_bits", "EACCES");   // seccomp
        e.put("memfd_create_plain", "CREATED");               // not an escape: plain memfds keep working
        e.put("memfd_exec", memfdExecOutcome(mode));          // vm.memfd_noexec=2 in the container's pid namespace
        e.put("proc_self_mem_write", procMemOutcome());       // not blocked: README
        e.put("tiocsctty_own_pty", "CONTROLLING_TTY");        // allowed: README
        return e;
    }

    /**
     * Root launches set vm.memfd_noexec=2 in the container's pid namespace. A rootless launch cannot
     * (only the global root uid may write it), so the container inherits the host's setting.
     */
    private static String memfdExecOutcome(Mode mode) {
        Path sysctl = Path.of("/proc/sys/vm/memfd_noexec");
        if (!Files.exists(sysctl)) {
            return "ESCAPED"; // before Linux 6.3: no such control
        }
        if (mode == Mode.ROOT) {
            return "EACCES";
        }
        try {
            return Integer.parseInt(Files.readString(sysctl).strip()) > 0 ? "EACCES" : "ESCAPED";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** FOLL_FORCE writes through /proc/PID/mem are a host choice (boot parameter, kernel config). */
    private static String procMemOutcome() {
        try {
            String cmdline = Files.readString(Path.of("/proc/cmdline"));
            if (cmdline.contains("proc_mem.force_override=never") || cmdline.contains("proc_mem.force_override=ptrace")) {
                return "EIO";
            }
            if (!cmdline.contains("proc_mem.force_override=always") && Files.exists(Path.of("/proc/config.gz"))) {
                try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(Path.of("/proc/config.gz")))) {
                    String config = new String(in.readAllBytes());
                    if (config.contains("CONFIG_PROC_MEM_NO_FORCE=y") || config.contains("CONFIG_PROC_MEM_FORCE_PTRACE=y")) {
                        return "EIO";
                    }
                }
            }
            return "WROTE_READONLY_PAGE";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @org.junit.jupiter.api.AfterAll
    static void removeProbe() {
        if (probeDir != null) {
            Cli.deleteTree(probeDir);
        }
    }

    @BeforeAll
    static void buildProbe() throws IOException, InterruptedException {
        Path source = Path.of("src/test/c/escape-probe.c");
        if (!Files.exists(source)) {
            source = Path.of("integration-tests/src/test/c/escape-probe.c");
        }
        probeDir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-probe",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path binary = probeDir.resolve("escape-probe");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", binary.toString(), source.toAbsolutePath().toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            skipReason = "gcc is not installed (scripts/setup-test-host installs gcc and libc6-dev): " + e.getMessage();
            return;
        }
        String out = new String(gcc.getInputStream().readAllBytes());
        if (gcc.waitFor() != 0) {
            skipReason = "gcc -static could not build the probe (static libc missing? scripts/setup-test-host installs libc6-dev): " + out;
            return;
        }
        Path suid = probeDir.resolve("escape-probe-suid");
        Files.copy(binary, suid);
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setAttribute(suid, "unix:mode", 04755); // owned by host root: a setuid-root binary
        // Outside any container, and harmless (an i386 getpid in a child): does this kernel run int 0x80?
        Process check = new ProcessBuilder(binary.toString(), "int80").redirectErrorStream(true).start();
        String answer = new String(check.getInputStream().readAllBytes()).strip();
        assertEquals(0, check.waitFor(), answer);
        int80Available = answer.equals("YES");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyEscapeIsBlockedPrecisely(Mode mode) {
        mode.assumeAvailable();
        assumeTrue(skipReason == null, skipReason);
        assertTrue(Files.isRegularFile(probeDir.resolve("escape-probe")));
        String id = "it-escape-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid();
        List<String> args = new java.util.ArrayList<>(List.of("run", "--id", id, "--root", Containers.stateRoot(mode).toString(),
                "--mount", probeDir + ":/probe", "--", "/probe/escape-probe", "battery", "/probe"));
        Cli.Result result = Cli.run(mode, args);
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> actual = new TreeMap<>();
        for (String line : result.stdout().lines().toList()) {
            if (!line.startsWith("TRIED ")) {
                String[] parts = line.split(" ", 2);
                actual.put(parts[0], parts.length > 1 ? parts[1] : "");
            }
        }
        Map<String, String> expected = expected(mode);
        int blocked = 0;
        StringBuilder failures = new StringBuilder();
        for (Map.Entry<String, String> attempt : expected.entrySet()) {
            String got = actual.get(attempt.getKey());
            if (attempt.getValue().equals(got)) {
                blocked++;
            } else {
                failures.append("\n  ").append(attempt.getKey()).append(": expected ").append(attempt.getValue())
                        .append(", got ").append(got);
            }
        }
        System.out.println("escape battery (" + mode + "): " + blocked + " blocked out of " + expected.size() + " tried");
        assertTrue(result.stdout().contains("TRIED " + expected.size()), "the probe ran every attempt: " + result.describe());
        assertEquals(expected.keySet(), actual.keySet(), "attempts run: " + result.describe());
        assertEquals("", failures.toString(), "escape battery (" + mode + "): " + blocked + "/" + expected.size()
                + " blocked precisely" + failures);
        assertTrue(blocked >= 20);
    }
}
