package dev.bulwark.launcher.seccomp;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.nativ.Arch;
import java.util.Set;

/**
 * Compiles a config's {@code linux.seccomp} for an architecture. The filter nearly every container gets,
 * {@link DefaultSeccompProfile} for a workload holding no capability that widens it, is compiled once per
 * process (a few hundred syscall names resolved and laid out as a search tree: a quarter of the launcher's
 * per-launch planning otherwise) and handed to every config that equals it, field for field; any other
 * config is compiled as written. The compiled default is immutable, so launches on many threads share it.
 */
public final class CompiledSeccomp {
    private CompiledSeccomp() {
    }

    /**
     * The program for {@code config} on {@code arch}: the same as
     * {@code SeccompCompiler.compile(SeccompPolicyReader.read(config, arch))}, warnings included.
     *
     * @throws InvalidSeccompConfigException as {@link SeccompPolicyReader#read} and {@link SeccompCompiler#compile}
     */
    public static SeccompProgram of(LinuxSeccomp config, Arch arch) {
        Default common = Default.PROGRAM;
        if (common != null && common.arch() == arch && common.config().equals(config)) {
            return common.program();
        }
        return SeccompCompiler.compile(SeccompPolicyReader.read(config, arch));
    }

    /** The default profile without capabilities on the host's architecture, compiled (null where that fails: then nothing is shared). */
    private record Default(LinuxSeccomp config, Arch arch, SeccompProgram program) {
        static final Default PROGRAM = compile(); // initialised on first use only (a holder): a launch without seccomp never pays

        private static Default compile() {
            try {
                Arch arch = Arch.requireHost();
                LinuxSeccomp config = DefaultSeccompProfile.forContainer(Set.of(), arch);
                return new Default(config, arch, SeccompCompiler.compile(SeccompPolicyReader.read(config, arch)));
            } catch (RuntimeException e) { // an architecture without a table: every config is compiled as written, which says why
                return null;
            }
        }
    }
}
