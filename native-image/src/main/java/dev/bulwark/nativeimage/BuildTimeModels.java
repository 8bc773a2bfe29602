package dev.bulwark.nativeimage;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.cli.BulwarkCli;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.SyscallAbi;
import dev.bulwark.nativ.SyscallNumbers;
import picocli.CommandLine;

/**
 * What every launch would otherwise build again by reflection, built once while the image is built: this class
 * is initialised at build time ({@link BulwarkFeature}), so its fields are snapshotted into the image heap.
 * <ul>
 *   <li>picocli's model of the whole CLI ({@link BulwarkCli#commandLine()}: every command, option, mixin and
 *       converter, read from annotations through reflection);</li>
 *   <li>the config model's Jackson (de)serializers: {@code SpecJson}'s mapper is initialised at build time too,
 *       and reading and writing a full default config here fills its caches (introspection of every class of
 *       {@code dev.bulwark.config.model}).</li>
 *   <li>the syscall tables ({@link SyscallNumbers} per {@link Arch}, {@link SyscallAbi#syscalls()} per ABI): every
 *       launch needs them (the raw syscalls' numbers, the seccomp filter), and reading them from the image's
 *       resources (a resource lookup, then a regex split per line) cost a launch ~1.5 ms of CPU. The classes are
 *       initialised at build time, so the caches they fill here are in the image heap; their contents are the
 *       generated tables of the sources, the same on every machine.</li>
 * </ul>
 * The launcher runs one command per process, so the command objects picocli fills are used once, as the JVM
 * launcher's fresh ones are. Nothing here depends on the machine the image is built on: the command objects'
 * initial values are constants, and the config read here is only a warm-up whose result is dropped.
 */
final class BuildTimeModels {
    private static final CommandLine COMMAND_LINE = BulwarkCli.commandLine();

    static {
        warmConfigMapper();
        warmSyscallTables();
    }

    private BuildTimeModels() {
    }

    /** The CLI's picocli model, built at image build time; for the one {@link BulwarkCli#execute} of this process. */
    static CommandLine commandLine() {
        return COMMAND_LINE;
    }

    private static void warmSyscallTables() {
        for (Arch arch : Arch.values()) {
            SyscallNumbers.of(arch);
        }
        for (SyscallAbi abi : SyscallAbi.values()) {
            abi.syscalls();
        }
    }

    private static void warmConfigMapper() {
        for (DefaultsOptions options : new DefaultsOptions[] {DefaultsOptions.root(), DefaultsOptions.rootless(1000, 1000)}) {
            Spec spec = HardenedDefaults.spec(options);
            try {
                SpecWriter.toTree(SpecParser.parse(SpecWriter.toJson(spec)));
            } catch (SpecParseException e) {
                throw new IllegalStateException("the built-in default config does not read back: " + e.getMessage(), e);
            }
        }
    }
}
