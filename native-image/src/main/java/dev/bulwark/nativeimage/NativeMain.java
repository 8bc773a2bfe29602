package dev.bulwark.nativeimage;

import dev.bulwark.launcher.cli.BulwarkCli;
import dev.bulwark.launcher.cli.LogOutput;
import org.graalvm.nativeimage.ProcessProperties;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.logging.LogManager;

/**
 * The native executable's entry point: points jffi at the copy of its native library shipped in
 * {@code lib/} beside the executable (never an extraction to /tmp), makes java.util.logging print as the
 * CLI does, then runs the CLI.
 */
public final class NativeMain {
    private NativeMain() {
    }

    public static void main(String[] args) {
        if (System.getProperty("jffi.boot.library.path") == null) {
            Path executable = Path.of(ProcessProperties.getExecutableName());
            System.setProperty("jffi.boot.library.path", executable.resolveSibling("lib").toString());
        }
        // The image's LogManager was set up at build time from the JDK's defaults, so the CLI's lazy
        // configuration class would never be read: read it now (cheap here, unlike a JVM's start).
        LogOutput.configureOnFirstUse();
        try {
            LogManager.getLogManager().readConfiguration();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        BulwarkCli.main(args);
    }
}
