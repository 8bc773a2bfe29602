package dev.bulwark.launcher.cli;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading a bundle's config.json and the --host-id-range option, shared by run and create. */
final class BundleConfig {
    private BundleConfig() {
    }

    static Spec read(Path bundleDirectory) {
        Path config = bundleDirectory.resolve("config.json");
        if (!Files.exists(config)) {
            throw new LaunchException("no config.json in " + bundleDirectory
                    + "; pass --bundle DIR, or a command after -- for the built-in default");
        }
        try {
            return SpecParser.parse(config);
        } catch (SpecParseException e) {
            throw new LaunchException(e.getMessage());
        } catch (IOException e) {
            throw new LaunchException("reading " + config + ": " + e.getMessage(), e);
        }
    }

    static LinuxIdMapping hostIdRange(String option) {
        if (option == null) {
            return new LinuxIdMapping(0, DefaultsOptions.DEFAULT_HOST_ID_START, DefaultsOptions.DEFAULT_ID_RANGE_SIZE);
        }
        try {
            String[] parts = option.split(":");
            long start = Long.parseLong(parts[0]);
            long size = parts.length > 1 ? Long.parseLong(parts[1]) : DefaultsOptions.DEFAULT_ID_RANGE_SIZE;
            if (start <= 0 || size <= 0) {
                throw new LaunchException("--host-id-range: START and SIZE must be positive (host root is never a default)");
            }
            return new LinuxIdMapping(0, start, size);
        } catch (NumberFormatException e) {
            throw new LaunchException("--host-id-range: expected START[:SIZE], got \"" + option + "\"");
        }
    }
}
