package dev.bulwark.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The reason a machine cannot run containers, read from /proc/sys switches (here a copy with chosen values). */
class UnsupportedMachineTest {
    @Test
    void eachKernelSwitchThatForbidsUserNamespacesIsNamed(@TempDir Path procSys) throws Exception {
        Files.createDirectories(procSys.resolve("user"));
        Files.createDirectories(procSys.resolve("kernel"));
        Files.writeString(procSys.resolve("user/max_user_namespaces"), "15000\n");
        assertEquals(Optional.empty(), Bulwark.unsupportedReason(procSys, false), "no switch file: nothing forbids");

        Files.writeString(procSys.resolve("kernel/unprivileged_userns_clone"), "0\n");
        assertEquals(Optional.of("unprivileged user namespaces are disabled: /proc/sys/kernel/unprivileged_userns_clone is 0"),
                Bulwark.unsupportedReason(procSys, false));
        assertEquals(Optional.empty(), Bulwark.unsupportedReason(procSys, true), "root is not bound by it");

        Files.writeString(procSys.resolve("user/max_user_namespaces"), "0\n");
        assertEquals(Optional.of("user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0"),
                Bulwark.unsupportedReason(procSys, true));
    }
}
