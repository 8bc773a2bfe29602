package dev.bulwark.launcher.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.LinuxSeccompArg;
import dev.bulwark.config.model.LinuxSyscall;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.SeccompAbi;
import dev.bulwark.nativ.SyscallAbi;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeccompCompilerTest {
    private static final int ALLOW = SeccompAbi.SECCOMP_RET_ALLOW;
    private static final int KILL_PROCESS = SeccompAbi.SECCOMP_RET_KILL_PROCESS;
    private static final int EPERM = SeccompAbi.SECCOMP_RET_ERRNO | 1;

    private static SeccompProgram compile(LinuxSeccomp config) {
        return SeccompCompiler.compile(SeccompPolicyReader.read(config, Arch.X86_64));
    }

    private static LinuxSeccomp config(String defaultAction, List<String> arches, LinuxSyscall... rules) {
        return new LinuxSeccomp(defaultAction, null, arches, List.of(), null, null, List.of(rules));
    }

    private static LinuxSyscall rule(String action, Long errno, List<String> names, LinuxSeccompArg... args) {
        return new LinuxSyscall(names, action, errno, List.of(args));
    }

    private static int run(SeccompProgram program, SyscallAbi abi, String name, long... args) {
        return BpfInterpreter.run(program, SeccompData.of(abi.auditArch(), abi.find(name).getAsInt(), args));
    }

    @Test
    void foreignArchitecturesAreKilled() {
        SeccompProgram program = compile(config("SCMP_ACT_ALLOW", List.of()));
        assertEquals(ALLOW, run(program, SyscallAbi.X86_64, "read"));
        assertEquals(KILL_PROCESS, run(program, SyscallAbi.X86, "read"));
        assertEquals(KILL_PROCESS, run(program, SyscallAbi.AARCH64, "read"));
        assertEquals(KILL_PROCESS, BpfInterpreter.run(program, SeccompData.of(0x40000028, 3)));
    }

    @Test
    void x32NumbersAreKilledUnlessX32IsListed() {
        SeccompProgram native64 = compile(config("SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X86_64")));
        assertEquals(KILL_PROCESS, run(native64, SyscallAbi.X32, "read"));
        assertEquals(KILL_PROCESS, BpfInterpreter.run(native64, SeccompData.of(SyscallAbi.AUDIT_ARCH_X86_64, -1)));

        SeccompProgram withX32 = compile(config("SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X32"),
                rule("SCMP_ACT_ERRNO", 5L, List.of("read"))));
        assertEquals(SeccompAbi.SECCOMP_RET_ERRNO | 5, run(withX32, SyscallAbi.X32, "read"));
        assertEquals(SeccompAbi.SECCOMP_RET_ERRNO | 5, run(withX32, SyscallAbi.X86_64, "read"));
        assertEquals(ALLOW, run(withX32, SyscallAbi.X32, "write"));
    }

    @Test
    void maskedEqualLooksAtBothWords() {
        SeccompProgram program = compile(config("SCMP_ACT_ERRNO", List.of(), rule("SCMP_ACT_ALLOW", null, List.of("clone"),
                new LinuxSeccompArg(0, 0xff000000_0000ff00L, 0x12000000_00003400L, "SCMP_CMP_MASKED_EQ"))));
        assertEquals(ALLOW, run(program, SyscallAbi.X86_64, "clone", 0x12345678_9abc34ffL));
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "clone", 0x13345678_9abc34ffL));
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "clone", 0x12345678_9abc35ffL));
    }

    @Test
    void comparisonsAreUnsigned64Bit() {
        SeccompProgram program = compile(config("SCMP_ACT_ERRNO", List.of(), rule("SCMP_ACT_ALLOW", null, List.of("read"),
                new LinuxSeccompArg(2, 0x1_0000_0000L, 0, "SCMP_CMP_GT"))));
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "read", 0, 0, 0xffff_ffffL));
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "read", 0, 0, 0x1_0000_0000L));
        assertEquals(ALLOW, run(program, SyscallAbi.X86_64, "read", 0, 0, 0x1_0000_0001L));
        assertEquals(ALLOW, run(program, SyscallAbi.X86_64, "read", 0, 0, -1L));
    }

    /** libseccomp's semantics, which runc and crun inherit: 64 bits on 64-bit ABIs, 32 on i386 and x32. */
    @Test
    void comparisonsAre32BitOnThirtyTwoBitAbis() {
        SeccompProgram program = compile(config("SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X86", "SCMP_ARCH_X32"),
                rule("SCMP_ACT_ERRNO", null, List.of("socket"), new LinuxSeccompArg(0, 40, 0, "SCMP_CMP_EQ")),
                rule("SCMP_ACT_ERRNO", null, List.of("personality"), new LinuxSeccompArg(0, -1L, 0, "SCMP_CMP_EQ")),
                rule("SCMP_ACT_ERRNO", null, List.of("read"), new LinuxSeccompArg(2, 0xffff_0000_0000_ff00L, 0x1234_0000_0000_0100L,
                        "SCMP_CMP_MASKED_EQ"))));
        // x86-64: the whole register is compared, so high bits the kernel ignores dodge an unmasked rule.
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "socket", 40));
        assertEquals(ALLOW, run(program, SyscallAbi.X86_64, "socket", (1L << 32) | 40));
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "personality", -1L));
        assertEquals(ALLOW, run(program, SyscallAbi.X86_64, "personality", 0xffff_ffffL));
        assertEquals(ALLOW, run(program, SyscallAbi.X86_64, "read", 0, 0, 0x0000_0000_0000_0100L));
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "read", 0, 0, 0x1234_0000_0000_0100L));
        for (SyscallAbi abi : List.of(SyscallAbi.X86, SyscallAbi.X32)) {
            assertEquals(EPERM, run(program, abi, "socket", 40), abi.name());
            assertEquals(EPERM, run(program, abi, "socket", (1L << 32) | 40), abi + ": the high word is not looked at");
            assertEquals(EPERM, run(program, abi, "personality", 0xffff_ffffL), abi + ": the value is cut to 32 bits");
            assertEquals(EPERM, run(program, abi, "read", 0, 0, 0x0000_0000_0000_0100L), abi + ": so is the mask");
            assertEquals(ALLOW, run(program, abi, "read", 0, 0, 0x0000_0000_0000_0200L), abi.name());
        }
    }

    @Test
    void errnoValuesReachTheKernel() {
        SeccompProgram program = compile(new LinuxSeccomp("SCMP_ACT_ERRNO", 13L, List.of(), List.of(), null, null,
                List.of(rule("SCMP_ACT_ERRNO", 38L, List.of("clone3")), rule("SCMP_ACT_ERRNO", null, List.of("bpf")),
                        rule("SCMP_ACT_TRACE", 7L, List.of("ptrace")))));
        assertEquals(SeccompAbi.SECCOMP_RET_ERRNO | 38, run(program, SyscallAbi.X86_64, "clone3"));
        assertEquals(EPERM, run(program, SyscallAbi.X86_64, "bpf"));
        assertEquals(SeccompAbi.SECCOMP_RET_TRACE | 7, run(program, SyscallAbi.X86_64, "ptrace"));
        assertEquals(SeccompAbi.SECCOMP_RET_ERRNO | 13, run(program, SyscallAbi.X86_64, "read"));
    }

    @Test
    void threeHundredConditionalSyscallsNeedLongJumps() {
        List<String> names = new ArrayList<>(SyscallAbi.X86_64.syscalls().keySet()).subList(0, 320);
        List<LinuxSyscall> rules = new ArrayList<>();
        for (String name : names) {
            rules.add(rule("SCMP_ACT_ALLOW", null, List.of(name), new LinuxSeccompArg(0, 7, 0, "SCMP_CMP_NE")));
        }
        SeccompProgram program = compile(new LinuxSeccomp("SCMP_ACT_ERRNO", null, List.of(), List.of(), null, null, rules));
        assertTrue(program.instructions().stream().anyMatch(i -> i.code() == (Bpf.JMP | Bpf.JA)), "expected trampolines");
        for (String name : names) {
            assertEquals(ALLOW, run(program, SyscallAbi.X86_64, name, 6), name);
            assertEquals(EPERM, run(program, SyscallAbi.X86_64, name, 7), name);
        }
    }

    /** As libseccomp: a name unknown on every listed ABI (the conformance suite's recv, send) matches nothing. */
    @Test
    void unknownSyscallIsSkipped() {
        SeccompProgram withUnknown = compile(config("SCMP_ACT_ERRNO", List.of(),
                rule("SCMP_ACT_ALLOW", null, List.of("read", "recv")), rule("SCMP_ACT_ALLOW", null, List.of("foo"))));
        SeccompProgram without = compile(config("SCMP_ACT_ERRNO", List.of(), rule("SCMP_ACT_ALLOW", null, List.of("read"))));
        assertEquals(ALLOW, run(withUnknown, SyscallAbi.X86_64, "read", 0));
        assertEquals(EPERM, run(withUnknown, SyscallAbi.X86_64, "write", 0));
        assertEquals(without.length(), withUnknown.length());
    }

    @Test
    void syscallKnownOnlyOnAnotherListedAbiIsSkippedHere() {
        SeccompProgram program = compile(config("SCMP_ACT_ERRNO", List.of("SCMP_ARCH_X86"),
                rule("SCMP_ACT_ALLOW", null, List.of("socketcall"))));
        assertEquals(ALLOW, run(program, SyscallAbi.X86, "socketcall"));
    }

    @Test
    void invalidConfigsNameThePath() {
        assertEquals("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported (Bulwark does not forward "
                + "seccomp notifications to an agent)", assertThrows(InvalidSeccompConfigException.class,
                () -> compile(config("SCMP_ACT_ERRNO", List.of(), rule("SCMP_ACT_NOTIFY", null, List.of("read"))))).getMessage());
        assertEquals("linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_ALLOW",
                assertThrows(InvalidSeccompConfigException.class, () -> compile(config("SCMP_ACT_ERRNO", List.of(),
                        rule("SCMP_ACT_ALLOW", 1L, List.of("read"))))).getMessage());
        assertEquals("linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"",
                assertThrows(InvalidSeccompConfigException.class, () -> compile(config("SCMP_ACT_ERRNO", List.of(),
                        rule("SCMP_ACT_ALLOW", null, List.of("read"), new LinuxSeccompArg(0, 1, 0, "SCMP_CMP_XX"))))).getMessage());
        assertEquals("linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"",
                assertThrows(InvalidSeccompConfigException.class, () -> compile(config("SCMP_ACT_ERRNO",
                        List.of("SCMP_ARCH_Z80")))).getMessage());
    }

    @Test
    void flagsAndUnsupportedArchitecturesAreReported() {
        SeccompProgram program = compile(new LinuxSeccomp("SCMP_ACT_ALLOW", null, List.of("SCMP_ARCH_ARM"),
                List.of("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"), null, null, List.of()));
        assertEquals(SeccompAbi.SECCOMP_FILTER_FLAG_TSYNC | SeccompAbi.SECCOMP_FILTER_FLAG_SPEC_ALLOW, program.flags());
        assertEquals(1, program.warnings().size());
        assertTrue(program.warnings().get(0).startsWith("linux.seccomp.architectures[0]"));
    }

    @Test
    void bytesAreLittleEndianSockFilters() {
        SeccompProgram program = new SeccompProgram(List.of(new BpfInstruction(0x15, 1, 2, 0xC000003E)), 0, List.of());
        byte[] bytes = program.toBytes();
        assertEquals(8, bytes.length);
        assertEquals(List.of(0x15, 0x00, 0x01, 0x02, 0x3E, 0x00, 0x00, 0xC0), toList(bytes));
    }

    @Test
    void disassemblyNamesFieldsAndActions() {
        String listing = compile(config("SCMP_ACT_ERRNO", List.of(), rule("SCMP_ACT_ALLOW", null, List.of("read")))).disassemble();
        assertTrue(listing.contains("# arch"), listing);
        assertTrue(listing.contains("AUDIT_ARCH X86_64"), listing);
        assertTrue(listing.contains("ret ALLOW"), listing);
        assertTrue(listing.contains("ret ERRNO(1)"), listing);
        assertTrue(listing.contains("ret KILL_PROCESS"), listing);
    }

    private static List<Integer> toList(byte[] bytes) {
        List<Integer> list = new ArrayList<>();
        for (byte b : bytes) {
            list.add(b & 0xff);
        }
        return list;
    }
}
