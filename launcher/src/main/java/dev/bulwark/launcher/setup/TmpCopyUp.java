package dev.bulwark.launcher.setup;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.MountCalls;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.MountApi;
import dev.bulwark.nativ.constants.OpenFlags;

import java.nio.file.Path;
import java.util.List;

/**
 * runc's mount option {@code tmpcopyup}: a tmpfs that starts with a copy of what the image holds at its
 * destination. Podman asks for it on every {@code --tmpfs} and on {@code --read-only}'s /tmp, /var/tmp and /run.
 * Bulwark does not copy yet; where the image's directory is empty or absent there is nothing to copy, so the
 * plain tmpfs is the same result, and that is all it takes. A directory with content is refused in one line.
 * The directory is read by the launcher through the root's fd ({@code RESOLVE_IN_ROOT}: an image's symlink
 * stays inside the image) and only read.
 */
final class TmpCopyUp {
    static final String OPTION = "tmpcopyup";

    private TmpCopyUp() {
    }

    static void requireNothingToCopy(Path rootfs, String destination, String field) {
        int root = MountCalls.openat2(OpenFlags.AT_FDCWD, rootfs.toString(), OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        try {
            int dir;
            try {
                dir = MountCalls.openat2(root, destination, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, MountApi.RESOLVE_IN_ROOT);
            } catch (SyscallException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                    return; // nothing in the image to copy (a file there fails the mount itself, naming the field)
                }
                throw new LaunchException(field + ": \"" + OPTION + "\": cannot read " + destination + " in the root: " + e.getMessage(), e);
            }
            try {
                List<String> names = DirectoryCalls.entries(dir).stream().map(DirectoryCalls.Entry::name).sorted().limit(3).toList();
                if (!names.isEmpty()) {
                    throw new LaunchException(field + ": \"" + OPTION + "\": " + destination + " in the image is not empty ("
                            + String.join(", ", names) + (names.size() == 3 ? ", ..." : "") + ") and Bulwark does not copy an "
                            + "image's files onto a tmpfs yet; drop the option (podman: --tmpfs " + destination
                            + ":notmpcopyup, or --read-only-tmpfs=false with --read-only)");
                }
            } finally {
                Syscalls.close(dir);
            }
        } finally {
            Syscalls.close(root);
        }
    }
}
