package dev.bulwark.it;

import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * OCI bundles for tests: a rootfs holding a static busybox (Debian's busybox-static) and a
 * config.json from Bulwark's hardened defaults, edited per test.
 */
public final class Bundles {
    public static final Path BUSYBOX = Path.of("/bin/busybox");

    private Bundles() {
    }

    public static void assumeBusybox() {
        assumeTrue(isStaticBusybox(), "a static /bin/busybox is needed for bundle tests; run scripts/setup-test-host (busybox-static)");
    }

    private static boolean isStaticBusybox() {
        if (!Files.isExecutable(BUSYBOX)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder("file", "-L", BUSYBOX.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out.contains("statically linked") || !out.contains("dynamically");
        } catch (IOException e) {
            return true; // no file(1): trust the package
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A new bundle for {@code mode} with the default spec edited by {@code edit}; readable by the mode's user. */
    public static Path create(Mode mode, UnaryOperator<Spec> edit) {
        assumeBusybox();
        try {
            Path bundle = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-bundle",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Path rootfs = bundle.resolve("rootfs");
            Files.createDirectories(rootfs.resolve("bin"));
            for (String dir : List.of("proc", "dev", "sys", "tmp", "etc", "root")) {
                Files.createDirectories(rootfs.resolve(dir));
            }
            Files.copy(BUSYBOX, rootfs.resolve("bin/busybox"));
            for (String applet : List.of("sh", "ls", "cat", "echo", "id", "hostname", "mount", "touch", "readlink",
                    "sleep", "grep", "true", "false", "pwd", "wc", "stat", "kill", "ps", "env", "head", "tr", "sort")) {
                Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
            }
            Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
            DefaultsOptions options = mode == Mode.ROOTLESS
                    ? DefaultsOptions.rootless(Mode.rootlessUid(), Mode.rootlessGid()) : DefaultsOptions.root();
            Spec spec = edit.apply(HardenedDefaults.spec(options));
            Files.writeString(bundle.resolve("config.json"), SpecWriter.toJson(spec));
            if (mode == Mode.ROOTLESS) {
                chown(bundle, Mode.rootlessUid(), Mode.rootlessGid());
            }
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void chown(Path dir, int uid, int gid) throws IOException {
        try {
            Process p = new ProcessBuilder("chown", "-R", "-h", uid + ":" + gid, dir.toString()).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IOException("chown failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    public static void delete(Path bundle) {
        Cli.deleteTree(bundle);
    }
}
