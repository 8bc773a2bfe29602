package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The one parse of a linux.devices[] entry that the child's steps and the launcher's nodes share. */
class DeviceNodeTest {
    @Test
    void typesNumbersModeAndOwnerAsMknodatTakesThem() {
        DeviceNode tty = DeviceNode.of(new LinuxDevice("/dev/x", "u", 4L, 0L, 0620L, 5L, 6L), "linux.devices[0]");
        assertEquals(0020620, tty.mknodMode());
        assertEquals(0x400, tty.dev());
        assertEquals(5, tty.uid());
        DeviceNode block = DeviceNode.of(new LinuxDevice("/dev/y", "b", 0x100aL, 0x1e8L, null, null, null), "linux.devices[1]");
        assertEquals(0060666, block.mknodMode(), "0666 when fileMode is unset");
        assertEquals(0x1000_0010_0ae8L, block.dev(), "high bits of both, as glibc's makedev");
        assertEquals(0, block.gid());
        assertEquals(0010600, DeviceNode.of(new LinuxDevice("/f", "p", null, null, 0100600L, null, null), "f").mknodMode(),
                "a fifo needs no numbers; only the permission bits of fileMode are taken");
    }

    @Test
    void aBadTypeOrMissingNumbersAreOneLineNamingTheField() {
        assertEquals("linux.devices[2].type: unknown device type \"z\" (expected c, b, u or p)", assertThrows(LaunchException.class,
                () -> DeviceNode.of(new LinuxDevice("/dev/z", "z", 1L, 1L, null, null, null), "linux.devices[2]")).getMessage());
        assertEquals("linux.devices[3]: a \"c\" device needs major and minor", assertThrows(LaunchException.class,
                () -> DeviceNode.of(new LinuxDevice("/dev/z", "c", 1L, null, null, null, null), "linux.devices[3]")).getMessage());
    }
}
