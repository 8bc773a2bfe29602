package dev.bulwark.launcher.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.SeccompAbi;
import dev.bulwark.nativ.SyscallAbi;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DefaultSeccompProfileTest {
    private static final int ALLOW = SeccompAbi.SECCOMP_RET_ALLOW;
    private static final int EPERM = SeccompAbi.SECCOMP_RET_ERRNO | 1;
    private static final int ENOSYS = SeccompAbi.SECCOMP_RET_ERRNO | 38;

    private static SeccompProgram program(Set<String> caps, Arch arch) {
        return SeccompCompiler.compile(SeccompPolicyReader.read(DefaultSeccompProfile.forContainer(caps, arch), arch));
    }

    private static int call(SeccompProgram program, SyscallAbi abi, String name, long... args) {
        return BpfInterpreter.run(program, SeccompData.of(abi.auditArch(), abi.find(name).getAsInt(), args));
    }

    @ParameterizedTest
    @EnumSource(SyscallAbi.class)
    void denials(SyscallAbi abi) {
        Arch arch = abi == SyscallAbi.AARCH64 ? Arch.AARCH64 : Arch.X86_64;
        SeccompProgram program = program(Set.of("CAP_SYS_ADMIN", "CAP_SYS_PTRACE"), arch);
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
        assertEquals(EPERM, call(program, abi, "ioctl", 1, 0xdead_0000_0000L | DefaultSeccompProfile.TIOCSTI), "high bits");
        assertEquals(EPERM, call(program, abi, "ioctl", 1, DefaultSeccompProfile.TIOCLINUX));
        for (long persona : DefaultSeccompProfile.SAFE_PERSONALITIES) {
            assertEquals(ALLOW, call(program, abi, "personality", persona));
        }
        assertEquals(EPERM, call(program, abi, "personality", 0x0040000), "ADDR_NO_RANDOMIZE");
        assertEquals(ALLOW, call(program, abi, "ptrace"));
    }

    @ParameterizedTest
    @EnumSource(SyscallAbi.class)
    void everyAllowedSyscallIsAllowed(SyscallAbi abi) {
        Arch arch = abi == SyscallAbi.AARCH64 ? Arch.AARCH64 : Arch.X86_64;
        SeccompProgram program = program(Set.of(), arch);
        for (String name : DefaultSeccompProfile.ALWAYS_ALLOWED) {
            if (abi.find(name).isPresent()) {
                assertEquals(ALLOW, call(program, abi, name), name);
            }
        }
        assertEquals(ALLOW, call(program, abi, "socket", 2));
        assertEquals(EPERM, call(program, abi, "socket", 40), "AF_VSOCK");
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
