package dev.bulwark.launcher.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.nativ.Arch;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CompiledSeccompTest {
    private static final Arch ARCH = Arch.requireHost();

    private static SeccompProgram compiledAsWritten(LinuxSeccomp config) {
        return SeccompCompiler.compile(SeccompPolicyReader.read(config, ARCH));
    }

    @Test
    void theDefaultProfileIsCompiledOnceAndIsWhatCompilingItAsWrittenGives() {
        LinuxSeccomp first = DefaultSeccompProfile.forContainer(Set.of(), ARCH);
        LinuxSeccomp again = new LinuxSeccomp(first.defaultAction(), first.defaultErrnoRet(), // equal, not the same object
                new java.util.ArrayList<>(first.architectures()), new java.util.ArrayList<>(first.flags()),
                first.listenerPath(), first.listenerMetadata(), new java.util.ArrayList<>(first.syscalls()));
        assertNotSame(first, again);
        SeccompProgram shared = CompiledSeccomp.of(first, ARCH);
        assertSame(shared, CompiledSeccomp.of(again, ARCH));
        assertEquals(compiledAsWritten(first), shared);
    }

    @Test
    void capabilitiesThatDoNotWidenTheDefaultProfileGetTheSharedOne() {
        LinuxSeccomp none = DefaultSeccompProfile.forContainer(Set.of(), ARCH);
        assertSame(none, DefaultSeccompProfile.forContainer(Set.of("CAP_CHOWN", "CAP_NET_BIND_SERVICE"), ARCH));
        LinuxSeccomp chroot = DefaultSeccompProfile.forContainer(Set.of("CAP_CHOWN", "CAP_SYS_CHROOT"), ARCH);
        assertNotSame(none, chroot);
        assertEquals(none.syscalls().size(), chroot.syscalls().size());
        assertEquals(false, none.syscalls().stream().anyMatch(rule -> rule.names().contains("chroot")));
        assertEquals(true, chroot.syscalls().stream().anyMatch(rule -> rule.names().contains("chroot")));
    }

    @Test
    void anotherConfigIsCompiledAsWritten() {
        LinuxSeccomp ptrace = DefaultSeccompProfile.forContainer(Set.of("CAP_SYS_PTRACE"), ARCH);
        SeccompProgram program = CompiledSeccomp.of(ptrace, ARCH);
        assertEquals(compiledAsWritten(ptrace), program);
        assertNotSame(CompiledSeccomp.of(DefaultSeccompProfile.forContainer(Set.of(), ARCH), ARCH), program);
        LinuxSeccomp fewer = new LinuxSeccomp("SCMP_ACT_ALLOW", null, ptrace.architectures(), ptrace.flags(), null, null,
                ptrace.syscalls().subList(0, 2));
        assertEquals(compiledAsWritten(fewer), CompiledSeccomp.of(fewer, ARCH));
    }
}
