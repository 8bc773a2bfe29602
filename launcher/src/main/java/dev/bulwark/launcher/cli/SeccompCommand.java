package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.FileErrors;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.KnownNames;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.seccomp.EffectiveSeccompPolicy;
import dev.bulwark.launcher.seccomp.InvalidSeccompConfigException;
import dev.bulwark.launcher.seccomp.SeccompCompiler;
import dev.bulwark.launcher.seccomp.SeccompPolicyReader;
import dev.bulwark.launcher.seccomp.SeccompProgram;
import dev.bulwark.nativ.Arch;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec.Target;

/** {@code bulwark seccomp show|compile}: inspect the seccomp policy a container would get. */
@Command(name = "seccomp", description = "Show or compile the seccomp policy a container would get: its config's "
        + "linux.seccomp, or Bulwark's default allow-list shaped by the capabilities it holds. 'show' prints it as "
        + "runtime-spec JSON, 'compile' as the BPF program the kernel runs on each system call.",
        footer = {"", "Examples:",
                "  bulwark seccomp show | jq '.syscalls | length'",
                "  bulwark seccomp compile | less                 # the BPF listing",
                "  bulwark seccomp show --config mybundle/config.json"},
        mixinStandardHelpOptions = true, subcommands = {SeccompCommand.Show.class, SeccompCommand.Compile.class})
public final class SeccompCommand {

    /** Where the policy comes from: a config's linux.seccomp, else the built-in default profile. */
    static final class PolicySource {
        @Option(names = "--config", paramLabel = "FILE", description = "Use this config.json's linux.seccomp.")
        Path config;

        @Option(names = "--cap", paramLabel = "CAP_X",
                description = "Capability granted to the container (repeatable); shapes the default profile.")
        List<String> capabilities = List.of();

        @Option(names = "--arch", paramLabel = "ARCH", description = "x86_64 or aarch64 (default: this host).")
        String arch;

        @picocli.CommandLine.Spec(Target.MIXEE)
        CommandSpec command;

        Arch arch() {
            if (arch == null) {
                return Arch.requireHost();
            }
            return switch (arch.toLowerCase(Locale.ROOT)) {
                case "x86_64", "amd64" -> Arch.X86_64;
                case "aarch64", "arm64" -> Arch.AARCH64;
                default -> throw new picocli.CommandLine.ParameterException(command.commandLine(),
                        "--arch: unsupported architecture \"" + arch + "\" (x86_64 and aarch64 are)");
            };
        }

        LinuxSeccomp policy() {
            Set<String> caps = new LinkedHashSet<>();
            for (String cap : capabilities) {
                String name = cap.toUpperCase(Locale.ROOT);
                if (!KnownNames.CAPABILITIES.contains(name)) {
                    throw new LaunchException("--cap: unknown capability \"" + cap + "\" (names look like CAP_SYS_PTRACE)");
                }
                caps.add(name);
            }
            if (config == null) {
                return EffectiveSeccompPolicy.forCapabilities(caps, arch());
            }
            return EffectiveSeccompPolicy.of(readConfig(), caps, arch()); // the launch's own rule
        }

        private Spec readConfig() {
            if (Files.isDirectory(config)) {
                throw new LaunchException("--config: " + config + " is a directory; give the config.json file in it");
            }
            try {
                return SpecParser.parse(config);
            } catch (SpecParseException e) {
                throw new LaunchException("--config: " + e.getMessage());
            } catch (IOException e) {
                throw new LaunchException("--config: " + config + ": " + FileErrors.reason(e), e);
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print the effective seccomp policy as runtime-spec JSON: defaultAction, architectures "
                    + "and each rule (names, action, argument tests), as the launch would install it.",
            footer = {"", "Examples:",
                    "  bulwark seccomp show",
                    "  bulwark seccomp show --cap CAP_SYS_PTRACE   # ptrace allowed with it",
                    "  bulwark seccomp show --config config.json --arch aarch64"})
    static final class Show implements Callable<Integer> {
        @Mixin
        PolicySource source;

        @picocli.CommandLine.Spec
        CommandSpec command;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = command.commandLine().getOut();
            out.println(toJson(source.policy()));
            out.flush();
            return 0;
        }
    }

    @Command(name = "compile", mixinStandardHelpOptions = true,
            description = "Compile the effective policy to classic BPF, as the kernel runs it on each system call: "
                    + "a readable listing (architecture check, syscall number jumps, argument tests, return actions), "
                    + "or the raw struct sock_filter bytes with --output.",
            footer = {"", "Examples:",
                    "  bulwark seccomp compile | head -40",
                    "  bulwark seccomp compile --output filter.bpf"})
    static final class Compile implements Callable<Integer> {
        @Mixin
        PolicySource source;

        @Option(names = "--output", paramLabel = "FILE", description = "Write the raw struct sock_filter array here.")
        Path output;

        @picocli.CommandLine.Spec
        CommandSpec command;

        @Override
        public Integer call() throws Exception {
            SeccompProgram program;
            try {
                program = SeccompCompiler.compile(SeccompPolicyReader.read(source.policy(), source.arch()));
            } catch (InvalidSeccompConfigException e) {
                throw new LaunchException(source.config == null ? e.getMessage() : "--config: " + source.config + ": " + e.getMessage());
            }
            PrintWriter err = command.commandLine().getErr();
            program.warnings().forEach(warning -> err.println("warning: " + warning));
            err.flush();
            if (output != null) {
                write(program.toBytes());
                return 0;
            }
            PrintWriter out = command.commandLine().getOut();
            out.print(program.disassemble());
            out.flush();
            return 0;
        }

        private void write(byte[] filter) {
            if (Files.isDirectory(output)) {
                throw new LaunchException("--output: " + output + " is a directory; give a file name");
            }
            try {
                Files.write(output, filter);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new LaunchException("--output: " + output + ": the directory it would go in does not exist", e);
            } catch (IOException e) {
                throw new LaunchException("--output: " + output + ": " + FileErrors.reason(e), e);
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** The policy as runtime-spec JSON, without null fields. */
    public static String toJson(LinuxSeccomp policy) {
        try {
            return JSON.writeValueAsString(policy);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize seccomp policy", e);
        }
    }
}
