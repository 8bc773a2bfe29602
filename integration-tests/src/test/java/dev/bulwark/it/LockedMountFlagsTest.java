package dev.bulwark.it;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A bundle on a nosuid,nodev mount: in the container's user namespace the kernel locks those flags
 * on the bind of its root, so the read-only remount of / must keep them (read from the host with
 * statfs) or it fails with EPERM. Run in a private mount namespace made by the test's wrapper, so the
 * host never sees the tmpfs.
 */
class LockedMountFlagsTest {
    /** Mounts a nosuid,nodev tmpfs on $0, copies the bundle $1 into it as b/, then runs the CLI. */
    private static final String ON_A_NOSUID_TMPFS = "mount -t tmpfs -o nosuid,nodev,mode=755 bulwark-it-locked \"$0\""
            + " && cp -a \"$1\" \"$0/b\" && shift && exec \"$@\"";

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aReadOnlyRootOnANosuidNodevMountKeepsTheLockedFlags(Mode mode) throws IOException {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "grep ' / ' /proc/self/mounts"));
        Path mountPoint = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-locked",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            List<String> wrapper = List.of("unshare", "-m", "--propagation", "private", "sh", "-c", ON_A_NOSUID_TMPFS,
                    mountPoint.toString(), bundle.toString());
            Cli.Result result = Cli.start(mode, wrapper,
                    Containers.runBundle(mode, mountPoint.resolve("b"), "locked-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid()))
                    .await(60);
            assertEquals(0, result.exitCode(), result.stderr());
            String root = result.stdout().strip();
            List<String> options = List.of(root.split(" ")[3].split(","));
            assertTrue(options.containsAll(List.of("ro", "nosuid", "nodev")), "/ is read-only and keeps nosuid,nodev: " + root);
        } finally {
            Bundles.delete(bundle);
            Files.deleteIfExists(mountPoint);
        }
    }
}
