package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.MountCalls;

/**
 * A {@code linux.devices[]} entry as mknodat takes it: the S_IF* type bits, the numbers, the permission
 * bits (0666 when unset) and the owner in container ids (0 when unset). One parse for the child's steps
 * ({@link RootfsSteps}) and the launcher's nodes ({@link LauncherMounts}), with the same error texts.
 */
record DeviceNode(int typeBits, long major, long minor, int mode, long uid, long gid) {
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFIFO = 0010000;
    private static final int DEFAULT_MODE = 0666;

    /** @param field the entry's field, e.g. {@code linux.devices[0]}, named by the error */
    static DeviceNode of(LinuxDevice device, String field) {
        int type = switch (device.type()) {
            case "c", "u" -> S_IFCHR;
            case "b" -> S_IFBLK;
            case "p" -> S_IFIFO;
            default -> throw new LaunchException(field + ".type: unknown device type \"" + device.type() + "\" (expected c, b, u or p)");
        };
        if (type != S_IFIFO && (device.major() == null || device.minor() == null)) {
            throw new LaunchException(field + ": a \"" + device.type() + "\" device needs major and minor");
        }
        return new DeviceNode(type, device.major() == null ? 0 : device.major(), device.minor() == null ? 0 : device.minor(),
                device.fileMode() == null ? DEFAULT_MODE : (int) (device.fileMode() & 07777),
                device.uid() == null ? 0 : device.uid(), device.gid() == null ? 0 : device.gid());
    }

    /** mknodat's mode argument: type and permission bits. */
    int mknodMode() {
        return typeBits | mode;
    }

    /** mknodat's dev argument. */
    long dev() {
        return MountCalls.makedev(major, minor);
    }
}
