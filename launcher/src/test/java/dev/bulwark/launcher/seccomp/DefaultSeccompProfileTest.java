package dev.bulwark.launcher.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.LinuxSeccompArg;
import dev.bulwark.config.model.LinuxSyscall;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.SeccompAbi;
import dev.bulwark.nativ.SyscallAbi;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DefaultSeccompProfileTest {
    private static final int ALLOW = SeccompAbi.SECCOMP_RET_ALLOW;
    private static final int EPERM = SeccompAbi.SECCOMP_RET_ERRNO | 1;
    private static final int EACCES = SeccompAbi.SECCOMP_RET_ERRNO | 13;
    private static final int ENOSYS = SeccompAbi.SECCOMP_RET_ERRNO | 38;
    private static final int KILL_PROCESS = SeccompAbi.SECCOMP_RET_KILL_PROCESS;
    private static final long AF_INET = 2, AF_ALG = 38, AF_VSOCK = 40;
    /** High words a caller can put above a 32-bit int argument: the kernel drops them. */
    private static final long[] HIGH_WORDS = {1L << 32, 0xdead_0000_0000L, 0xffff_ffff_0000_0000L, 0x8000_0000_0000_0000L};

    private static SeccompProgram program(Set<String> caps, Arch arch) {
        return SeccompCompiler.compile(SeccompPolicyReader.read(DefaultSeccompProfile.forContainer(caps, arch), arch));
    }

    private static int call(SeccompProgram program, SyscallAbi abi, String name, long... args) {
        return BpfInterpreter.run(program, SeccompData.of(abi.auditArch(), abi.find(name).getAsInt(), args));
    }

    private static Arch archOf(SyscallAbi abi) {
        return abi == SyscallAbi.AARCH64 ? Arch.AARCH64 : Arch.X86_64;
    }

    @ParameterizedTest
    @EnumSource(value = SyscallAbi.class, names = {"X86_64", "AARCH64"})
    void denials(SyscallAbi abi) {
        SeccompProgram program = program(Set.of("CAP_SYS_ADMIN", "CAP_SYS_PTRACE"), archOf(abi));
        for (String name : DefaultSeccompProfile.ALWAYS_DENIED) {
            if (abi.find(name).isPresent()) {
                assertEquals(EPERM, call(program, abi, name), name);
            }
        }
        assertEquals(ENOSYS, call(program, abi, "clone3"));
        assertEquals(ALLOW, call(program, abi, "clone", 0x01000000 | 17));
        assertEquals(EPERM, call(program, abi, "clone", 0x10000000 | 17), "CLONE_NEWUSER");
        assertEquals(EPERM, call(program, abi, "clone", 0x00020000 | 17), "CLONE_NEWNS");
        assertEquals(ALLOW, call(program, abi, "ioctl", 1, 0x5401));
        assertEquals(EPERM, call(program, abi, "ioctl", 1, DefaultSeccompProfile.TIOCSTI));
        assertEquals(EPERM, call(program, abi, "ioctl", 1, DefaultSeccompProfile.TIOCLINUX));
        assertEquals(ALLOW, call(program, abi, "ioctl", 0, 0x540E), "TIOCSCTTY stays allowed (README: ptys of the container's own devpts)");
        for (long persona : DefaultSeccompProfile.SAFE_PERSONALITIES) {
            assertEquals(ALLOW, call(program, abi, "personality", persona));
        }
        assertEquals(EPERM, call(program, abi, "personality", 0x0040000), "ADDR_NO_RANDOMIZE");
        assertEquals(ALLOW, call(program, abi, "ptrace"));
        assertEquals(ALLOW, call(program, abi, "socket", AF_INET));
        assertEquals(EPERM, call(program, abi, "socket", AF_VSOCK));
        assertEquals(EPERM, call(program, abi, "socket", AF_ALG));
        assertEquals(ALLOW, call(program, abi, "memfd_create", 0, 1 /* MFD_CLOEXEC */));
        assertEquals(ALLOW, call(program, abi, "memfd_create", 0, 8 /* MFD_NOEXEC_SEAL */));
        assertEquals(EACCES, call(program, abi, "memfd_create", 0, DefaultSeccompProfile.MFD_EXEC | 1));
    }

    /** The escapes the outside battery found: high bits above an int argument, each spelled out. */
    @ParameterizedTest
    @EnumSource(value = SyscallAbi.class, names = {"X86_64", "AARCH64"})
    void highBitsAboveIntArgumentsChangeNothing(SyscallAbi abi) {
        SeccompProgram program = program(Set.of(), archOf(abi));
        for (long high : HIGH_WORDS) {
            String variant = Long.toHexString(high);
            assertEquals(EPERM, call(program, abi, "socket", high | AF_VSOCK, 1, 0), "AF_VSOCK " + variant);
            assertEquals(EPERM, call(program, abi, "socket", high | AF_ALG, 5, 0), "AF_ALG " + variant);
            assertEquals(ALLOW, call(program, abi, "socket", high | AF_INET, 1, 0), "AF_INET " + variant);
            assertEquals(EPERM, call(program, abi, "ioctl", 0, high | DefaultSeccompProfile.TIOCSTI), "TIOCSTI " + variant);
            assertEquals(EPERM, call(program, abi, "ioctl", 0, high | DefaultSeccompProfile.TIOCLINUX), "TIOCLINUX " + variant);
            assertEquals(EACCES, call(program, abi, "memfd_create", 0, high | DefaultSeccompProfile.MFD_EXEC), "MFD_EXEC " + variant);
            assertEquals(ALLOW, call(program, abi, "memfd_create", 0, high | 1), "MFD_CLOEXEC " + variant);
            assertEquals(EPERM, call(program, abi, "clone", high | 0x10000000 | 17), "CLONE_NEWUSER " + variant);
            assertEquals(ALLOW, call(program, abi, "clone", high | 0x01000000 | 17), "CLONE_SETTLS " + variant);
            assertEquals(EPERM, call(program, abi, "personality", high | 0x0040000), "ADDR_NO_RANDOMIZE " + variant);
            for (long persona : DefaultSeccompProfile.SAFE_PERSONALITIES) {
                assertEquals(ALLOW, call(program, abi, "personality", high | persona), "persona " + persona + " " + variant);
            }
        }
    }

    /**
     * Every argument the default profile tests is one the kernel reads as a 32-bit int; for each
     * rule's syscall, the filter's answer for any argument must not change when high bits are set
     * above it. Checked generically over the profile's own rules, so a rule added later is covered.
     */
    @ParameterizedTest
    @EnumSource(value = SyscallAbi.class, names = {"X86_64", "AARCH64"})
    void everyArgumentFilteredRuleIgnoresHighBits(SyscallAbi abi) {
        LinuxSeccomp profile = DefaultSeccompProfile.forContainer(Set.of(), archOf(abi));
        SeccompProgram program = program(Set.of(), archOf(abi));
        int checked = 0;
        for (LinuxSyscall rule : profile.syscalls()) {
            for (LinuxSeccompArg arg : rule.args()) {
                assertEquals("SCMP_CMP_MASKED_EQ", arg.op(), rule.names() + ": compare int arguments through a 32-bit mask");
                assertEquals(0, arg.value() >>> 32, rule.names() + ": the mask must not reach into the high word");
                for (String name : rule.names()) {
                    for (long low : lowValuesAround(arg)) {
                        long[] args = new long[6];
                        args[arg.index()] = low;
                        int expected = call(program, abi, name, args);
                        for (long high : HIGH_WORDS) {
                            args[arg.index()] = high | low;
                            assertEquals(expected, call(program, abi, name, args), name + " args[" + arg.index() + "]=0x"
                                    + Long.toHexString(high | low));
                            checked++;
                        }
                    }
                }
            }
        }
        assertTrue(checked > 100, "checked " + checked);
    }

    private static List<Long> lowValuesAround(LinuxSeccompArg arg) {
        List<Long> values = new ArrayList<>(List.of(0L, 1L, 0x7fffffffL, 0x80000000L, 0xffffffffL));
        values.add(arg.valueTwo());
        values.add(arg.valueTwo() ^ 1);
        values.add(arg.value() & 0xffffffffL);
        values.add((arg.valueTwo() | 0x00010000L) & 0xffffffffL);
        return values;
    }

    /** i386 and x32 calls are killed: socketcall and ipc take their arguments from memory. */
    @Test
    void foreignAbisAreKilledOnX86_64() {
        SeccompProgram program = program(Set.of("CAP_SYS_ADMIN", "CAP_SYS_PTRACE"), Arch.X86_64);
        assertEquals(KILL_PROCESS, call(program, SyscallAbi.X86, "socketcall", 1 /* SYS_SOCKET */, 0x1000));
        assertEquals(KILL_PROCESS, call(program, SyscallAbi.X86, "ipc", 1, 0));
        assertEquals(KILL_PROCESS, call(program, SyscallAbi.X86, "socket", AF_VSOCK));
        assertEquals(KILL_PROCESS, call(program, SyscallAbi.X86, "getpid"));
        assertEquals(KILL_PROCESS, call(program, SyscallAbi.X32, "socket", AF_VSOCK));
        assertEquals(KILL_PROCESS, call(program, SyscallAbi.X32, "getpid"));
        assertEquals(KILL_PROCESS, BpfInterpreter.run(program, SeccompData.of(SyscallAbi.AUDIT_ARCH_X86_64, -1)));
        assertEquals(ALLOW, call(program, SyscallAbi.X86_64, "getpid"));
        assertEquals(List.of("SCMP_ARCH_X86_64"), DefaultSeccompProfile.forContainer(Set.of(), Arch.X86_64).architectures());
        assertEquals(List.of("SCMP_ARCH_AARCH64"), DefaultSeccompProfile.forContainer(Set.of(), Arch.AARCH64).architectures());
    }

    @ParameterizedTest
    @EnumSource(value = SyscallAbi.class, names = {"X86_64", "AARCH64"})
    void everyAllowedSyscallIsAllowed(SyscallAbi abi) {
        SeccompProgram program = program(Set.of(), archOf(abi));
        for (String name : DefaultSeccompProfile.ALWAYS_ALLOWED) {
            if (abi.find(name).isPresent()) {
                assertEquals(ALLOW, call(program, abi, name), name);
            }
        }
        assertFalse(DefaultSeccompProfile.ALWAYS_ALLOWED.contains("modify_ldt"));
        assertFalse(DefaultSeccompProfile.ALWAYS_ALLOWED.contains("socketcall"));
    }

    @Test
    void capabilitiesUnlockTheirSyscalls() {
        SeccompProgram plain = program(Set.of(), Arch.X86_64);
        SeccompProgram ptrace = program(Set.of("CAP_SYS_PTRACE", "CAP_SYS_CHROOT"), Arch.X86_64);
        for (String name : new String[] {"ptrace", "process_vm_readv", "process_vm_writev", "chroot"}) {
            assertEquals(EPERM, call(plain, SyscallAbi.X86_64, name), name);
            assertEquals(ALLOW, call(ptrace, SyscallAbi.X86_64, name), name);
        }
    }

    @Test
    void fitsTheKernelLimitsOnBothArchitectures() {
        for (Arch arch : Arch.values()) {
            SeccompProgram program = program(Set.of("CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_NICE"), arch);
            assertEquals(true, program.length() < SeccompAbi.BPF_MAXINSNS, arch + ": " + program.length());
            assertEquals(java.util.List.of(), program.warnings());
        }
    }
}
