package dev.bulwark.nativeimage;

import dev.bulwark.launcher.cli.BulwarkCli;
import dev.bulwark.launcher.cli.LogOutput;
import dev.bulwark.launcher.runtime.SignalForwarding;
import dev.bulwark.nativ.Syscalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.logging.LogManager;

/**
 * The native executable's entry point: points jffi at the copy of its native library shipped in
 * {@code lib/} beside the executable's real path (never an extraction to /tmp, never a path from argv or the
 * environment), makes java.util.logging print as the
 * CLI does, unblocks the signals the launcher forwards, then runs the CLI with the picocli model built when the
 * image was ({@link BuildTimeModels}).
 */
public final class NativeMain {
    private static final int SIG_UNBLOCK = 1;
    private NativeMain() {
    }

    public static void main(String[] args) {
        // Always lib/ beside the executable the kernel ran, whatever the property held: the image is built without
        // runtime option parsing (scripts/build-native), and this does not trust that alone.
        System.setProperty("jffi.boot.library.path", executableDirectory().resolve("lib").toString());
        // The image's LogManager was set up at build time from the JDK's defaults, so the CLI's lazy
        // configuration class would never be read: apply it now. What LogManager.readConfiguration() would do
        // with the property set (nothing can set java.util.logging.config.file in the image), minus its
        // reflective class lookup and instantiation (~2 ms of an image's start-up: reflection metadata decoding).
        LogOutput.configureOnFirstUse();
        LogManager.getLogManager(); // started as readConfiguration() would start it, before the configuration applies
        new LogOutput();
        unblockForwardedSignals();
        System.exit(BulwarkCli.execute(BuildTimeModels.commandLine(), args));
    }

    /** The directory of the real path of /proc/self/exe: not argv[0], a symlink's directory or an inherited setting. */
    private static Path executableDirectory() {
        try {
            return Path.of("/proc/self/exe").toRealPath().getParent();
        } catch (IOException e) {
            throw new UncheckedIOException("resolving /proc/self/exe to find lib/", e);
        }
    }

    /**
     * A process inherits its parent's blocked signals: a JVM parent (ProcessBuilder) blocks SIGQUIT in its
     * threads, so it would never reach the signal relay. HotSpot unblocks the signals it handles itself; an
     * image does not, so this does, on the main thread, before the threads that inherit its mask start.
     */
    private static void unblockForwardedSignals() {
        long mask = 0;
        for (int signal : SignalForwarding.FORWARDED) {
            mask |= 1L << (signal - 1);
        }
        try {
            Syscalls.sigprocmask(SIG_UNBLOCK, mask);
        } catch (RuntimeException | LinkageError e) {
            System.getLogger(NativeMain.class.getName()).log(System.Logger.Level.WARNING,
                    "forwarded signals stay as the parent blocked them: " + e.getMessage());
        }
    }
}
