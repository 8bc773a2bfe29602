package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerRun;
import dev.bulwark.launcher.runtime.RunRequest;
import dev.bulwark.launcher.runtime.StateRoot;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * {@code run --detach}: create, then start, in one short-lived process; no launcher stays resident
 * (the init is reparented to the caller's subreaper or pid 1, e.g. systemd for a {@code Type=forking}
 * unit that reads {@code --pid-file}). A start that fails removes the created container again.
 */
final class DetachedRun {
    /** Where the workload's stdio goes: {@code file} (its state directory's log) or {@code passthrough} (the caller's). */
    enum LogDriver {
        FILE, PASSTHROUGH;

        /** The flag's value, or the default: the log file for the built-in default, the caller's stdio (runc's run -d) for a bundle. */
        static LogDriver of(String flag, boolean builtIn) {
            if (flag == null) {
                return builtIn ? FILE : PASSTHROUGH;
            }
            return switch (flag) {
                case "file" -> FILE;
                case "passthrough" -> PASSTHROUGH;
                default -> throw new LaunchException("--log-driver: expected file or passthrough, got \"" + flag + "\"");
            };
        }
    }

    private DetachedRun() {
    }

    /** Refuses a pid file whose directory does not exist, before anything is made. */
    static void checkPidFile(Path pidFile) {
        if (pidFile == null) {
            return;
        }
        Path directory = pidFile.toAbsolutePath().getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            throw new LaunchException("--pid-file " + pidFile + ": directory " + directory + " does not exist");
        }
        if (Files.isDirectory(pidFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new LaunchException("--pid-file " + pidFile + ": is a directory");
        }
    }

    /**
     * Creates the container of {@code create} (its {@link RunRequest#create()} set), starts it, waits for
     * its workload's execve, and returns 0; prints the id on stdout when the workload's output goes to the log (with passthrough, stdout is
     * the workload's, as after runc run -d).
     */
    static int createAndStart(RunRequest create) {
        ContainerId id = new ContainerId(create.id());
        boolean[] created = new boolean[1];
        try {
            ContainerRun.createAndStart(create, () -> {
                created[0] = true;
                try (StateRoot root = StateRoot.open(create.stateRoot()).orElseThrow()) {
                    Container.load(root, id).start();
                }
            });
        } catch (RuntimeException e) {
            if (created[0]) {
                removeQuietly(create, id, e);
            }
            throw e;
        }
        if (create.create().logToState()) {
            System.out.println(id.value());
            System.out.flush();
        }
        return 0;
    }

    /** A container that could not start, or whose command could not be executed, is deleted: nothing is left behind. */
    private static void removeQuietly(RunRequest create, ContainerId id, RuntimeException failure) {
        try (StateRoot root = StateRoot.open(create.stateRoot()).orElseThrow()) {
            Container.load(root, id).delete(true);
            if (create.create().pidFile() != null) {
                Files.deleteIfExists(create.create().pidFile()); // written at create: it names a process that is gone
            }
        } catch (RuntimeException | java.io.IOException e) {
            failure.addSuppressed(e);
        }
    }
}
