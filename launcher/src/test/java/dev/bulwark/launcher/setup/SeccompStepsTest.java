package dev.bulwark.launcher.setup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.cli.SeccompCommand;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.seccomp.EffectiveSeccompPolicy;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.spawn.SyscallTable;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code bulwark seccomp show|compile --config F} prints exactly the filter a launch of F installs. */
class SeccompStepsTest {
    static List<LinuxCapabilities> capabilitySets() {
        List<String> ptrace = List.of("CAP_SYS_PTRACE");
        return List.of(
                LinuxCapabilities.none(),
                new LinuxCapabilities(ptrace, List.of(), List.of(), List.of(), List.of()),
                // Outside the bounding set but still held after execve (ambient; inheritable for uid 0).
                new LinuxCapabilities(List.of(), ptrace, List.of(), ptrace, List.of()),
                new LinuxCapabilities(List.of(), List.of(), ptrace, ptrace, ptrace),
                new LinuxCapabilities(List.of("CAP_SYS_ADMIN"), List.of(), List.of("CAP_SYS_MODULE"), List.of(), List.of()));
    }

    @ParameterizedTest
    @MethodSource("capabilitySets")
    void seccompCommandShowsAndCompilesWhatTheLaunchInstalls(LinuxCapabilities capabilities, @TempDir Path dir)
            throws Exception {
        Spec base = HardenedDefaults.spec(DefaultsOptions.root());
        Spec spec = base.withProcess(base.process().withCapabilities(capabilities))
                .withLinux(base.linux().withSeccomp(null));
        Path config = dir.resolve("config.json");
        Files.writeString(config, SpecWriter.toJson(spec));

        byte[] installed;
        try (SyscallTable table = new SyscallTable()) {
            // The launch runs the config through its profile first: bulwark spec's config is written for the
            // hardened one, which writes the default policy into a config without linux.seccomp.
            installed = new SeccompSteps(new ChildSteps(table, -1), Profile.OCI.apply(spec)).program().toBytes();
        }
        Path compiled = dir.resolve("filter.bpf");
        cli("compile", "--config", config.toString(), "--output", compiled.toString());
        assertArrayEquals(installed, Files.readAllBytes(compiled));

        String shown = cli("show", "--config", config.toString());
        assertEquals(SeccompCommand.toJson(EffectiveSeccompPolicy.of(spec, Set.of(), Arch.requireHost())).strip(), shown.strip());
        boolean holdsPtrace = EffectiveSeccompPolicy.capabilitiesConsidered(capabilities).contains("CAP_SYS_PTRACE");
        assertEquals(holdsPtrace, shown.contains("\"ptrace\""), shown);
    }

    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = new picocli.CommandLine(new SeccompCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        assertEquals(0, cli.execute(args), err.toString());
        assertTrue(err.toString().isBlank() || err.toString().startsWith("warning:"), err.toString());
        return out.toString();
    }
}
