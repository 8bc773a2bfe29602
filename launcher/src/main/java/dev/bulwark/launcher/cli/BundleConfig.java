package dev.bulwark.launcher.cli;

import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading a bundle's config.json for create. */
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
}
