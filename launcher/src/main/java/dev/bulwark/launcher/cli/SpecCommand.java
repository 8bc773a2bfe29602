package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.FileErrors;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code bulwark spec}: writes a hardened default config.json, like {@code runc spec} but locked down. */
@Command(name = "spec", mixinStandardHelpOptions = true, description = "Write a hardened default config.json, the shape of "
        + "'runc spec' locked down: no capabilities, no_new_privs, a read-only root, a user namespace mapping container "
        + "root onto unprivileged host ids, seven namespaces (all but time), masked /proc paths, pids and memory limits, and the "
        + "annotation that gives it Bulwark's seccomp profile and Landlock rules. 'bulwark audit' finds nothing in it that FAILs.",
        footer = {"", "Examples:",
                "  mkdir -p b/rootfs && bulwark spec -b b          # then fill b/rootfs",
                "  bulwark spec --rootless --stdout | less",
                "  bulwark spec --stdout > /tmp/c.json && bulwark audit /tmp/c.json"})
final class SpecCommand implements Callable<Integer> {
    @Option(names = "--rootless", description = "map container root to your own uid/gid (size 1)")
    boolean rootless;

    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR", description = "directory to write config.json into (default: current directory)")
    Path bundle = Path.of(".");

    @Option(names = "--stdout", description = "print to standard output instead of writing config.json")
    boolean stdout;

    @Option(names = {"-f", "--force"}, description = "overwrite an existing config.json")
    boolean force;

    @Override
    public Integer call() {
        DefaultsOptions options = rootless ? DefaultsOptions.rootless(Syscalls.geteuid(), Syscalls.getegid()) : DefaultsOptions.root();
        String json = SpecWriter.toJson(HardenedDefaults.spec(options)) + "\n";
        if (stdout) {
            System.out.print(json);
            return 0;
        }
        if (!Files.isDirectory(bundle)) {
            throw new LaunchException("--bundle: " + bundle + (Files.exists(bundle) ? " is not a directory" : " does not exist"));
        }
        Path config = bundle.resolve("config.json");
        if (Files.exists(config) && !force) {
            throw new LaunchException(config + ": already exists (use --force to overwrite)");
        }
        try {
            Files.writeString(config, json, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LaunchException("writing " + config + ": " + FileErrors.reason(e), e);
        }
        return 0;
    }
}
