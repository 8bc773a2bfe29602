package dev.bulwark.launcher.plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which Linux security modules this host has active: probed once per launch and passed along, so
 * that the check of the config's requests and the labelling of the exec see the same answer.
 *
 * @param appArmor whether AppArmor is enabled (/sys/module/apparmor/parameters/enabled is "Y")
 * @param seLinux  whether SELinux is mounted (/sys/fs/selinux/enforce exists)
 */
public record LsmHost(boolean appArmor, boolean seLinux) {
    /** Reads the host's LSM state. */
    public static LsmHost probe() {
        return new LsmHost(appArmorEnabled(), Files.exists(Path.of("/sys/fs/selinux/enforce")));
    }

    private static boolean appArmorEnabled() {
        try {
            return Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).trim().equals("Y");
        } catch (IOException e) {
            return false; // no AppArmor module: not active
        }
    }
}
