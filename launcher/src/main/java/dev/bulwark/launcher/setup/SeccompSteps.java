package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.seccomp.CompiledSeccomp;
import dev.bulwark.launcher.seccomp.DefaultSeccompProfile;
import dev.bulwark.launcher.seccomp.EffectiveSeccompPolicy;
import dev.bulwark.launcher.seccomp.InvalidSeccompConfigException;
import dev.bulwark.launcher.seccomp.SeccompProgram;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.NativeMemory;


/**
 * Where the seccomp filter is installed. The filter comes from {@code linux.seccomp}; a config without
 * one gets no filter, as the runtime spec says. The hardened profile ({@code plan.Profile}) writes
 * {@link DefaultSeccompProfile}, shaped by {@link EffectiveSeccompPolicy} (what {@code bulwark seccomp show
 * --config} prints for a config without one), into a config that has none.
 *
 * <p>Order: with no_new_privs (the default) the filter is the last step before the execve chain, so
 * that nothing the launcher itself still does has to be allowed by it; only execve must be. With
 * {@code noNewPrivileges: false} the kernel accepts a filter only from a task holding CAP_SYS_ADMIN
 * in its user namespace, so {@link ChildProgram} loads it before the uid change and capset, and the
 * profile must then also allow setgroups, setresuid/gid, capset, prctl, close_range and the signal
 * calls (the default profile does), as runc does.
 */
final class SeccompSteps {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private static final int SECCOMP_SET_MODE_FILTER = 1;

    private final ChildSteps steps;
    private final SeccompProgram program;
    private final String origin;

    SeccompSteps(ChildSteps steps, Spec spec) {
        this.steps = steps;
        LinuxSeccomp configured = spec.linux().seccomp();
        Arch arch = Arch.requireHost();
        this.origin = "linux.seccomp";
        if (configured == null) { // no filter, as the spec says (the hardened profile writes the default one in)
            this.program = null;
            return;
        }
        LinuxSeccomp policy = configured;
        try {
            this.program = CompiledSeccomp.of(policy, arch); // the built-in default is compiled once per process
        } catch (InvalidSeccompConfigException e) {
            throw new LaunchException(e.getMessage());
        }
        for (String warning : program.warnings()) {
            LOG.log(System.Logger.Level.WARNING, "seccomp: " + warning);
        }
    }

    /** The compiled filter {@link #install} loads. */
    SeccompProgram program() {
        return program;
    }

    /** seccomp(SECCOMP_SET_MODE_FILTER, flags, &{len, filter}) on this thread; the workload inherits it. */
    void install() {
        if (program == null) {
            return;
        }
        NativeMemory memory = steps.memory();
        long filter = memory.bytes(program.toBytes(), false);
        long prog = memory.allocate(16); // struct sock_fprog: u16 len, 6 bytes padding, u64 filter pointer
        NativeMemory.putLong(prog, program.length() & 0xffffL);
        NativeMemory.putLong(prog + 8, filter);
        steps.step("install the seccomp filter (" + origin + ", " + program.length() + " instructions)",
                "every syscall the workload makes is checked against the allow-list; the rest fail with EPERM",
                "seccomp", SECCOMP_SET_MODE_FILTER, program.flags(), prog);
    }
}
