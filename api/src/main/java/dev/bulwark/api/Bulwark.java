package dev.bulwark.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Hardened containers from Java, no daemon: {@code Bulwark.container().command("echo", "hi").run()}.
 * Each container is launched by this JVM's own threads; nothing here is process-wide (no signal
 * handlers are installed, warnings go to {@link System.Logger} "dev.bulwark.launcher"), so any
 * number of containers may be started from any number of threads.
 */
public final class Bulwark {
    private Bulwark() {
    }

    /** A new container, Bulwark's hardened built-in default until told otherwise. */
    public static ContainerBuilder container() {
        return new ContainerBuilder();
    }

    /** {@code container().command(command)}. */
    public static ContainerBuilder container(String... command) {
        return new ContainerBuilder().command(command);
    }

    /**
     * Why this machine cannot run containers for this process (no user namespaces for an unprivileged
     * user), or empty when it can.
     */
    public static Optional<String> unsupportedReason() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return Optional.of("Bulwark runs containers on Linux only (this is " + System.getProperty("os.name") + ")");
        }
        return unsupportedReason(Path.of("/proc/sys"), dev.bulwark.nativ.Syscalls.geteuid() == 0);
    }

    /** The kernel switches under {@code procSys} (/proc/sys) as they apply to a root or unprivileged process. */
    static Optional<String> unsupportedReason(Path procSys, boolean root) {
        if ("0".equals(read(procSys.resolve("user/max_user_namespaces")))) {
            return Optional.of("user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0");
        }
        if (!root && "0".equals(read(procSys.resolve("kernel/unprivileged_userns_clone")))) {
            return Optional.of("unprivileged user namespaces are disabled: /proc/sys/kernel/unprivileged_userns_clone is 0");
        }
        if (!root && "1".equals(read(procSys.resolve("kernel/apparmor_restrict_unprivileged_userns")))) {
            return Optional.of("AppArmor restricts unprivileged user namespaces: "
                    + "/proc/sys/kernel/apparmor_restrict_unprivileged_userns is 1");
        }
        return Optional.empty();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return null; // absent: the kernel has no such switch
        }
    }
}
