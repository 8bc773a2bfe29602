package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TiniInitTest {
    private static final Spec SPEC = BuiltInDefault.spec(1000, 1000, List.of("sleep", "1000"));

    @Test
    void tiniIsMountedReadOnlyAndPrependedToTheArgs(@TempDir Path dir) throws Exception {
        Path tini = Files.createFile(dir.resolve("tini-static"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Spec spec = TiniInit.apply(SPEC, "--init", tini);
        assertEquals(List.of("/dev/init", "-s", "-g", "--", "sleep", "1000"), spec.process().args());
        Mount last = spec.mounts().get(spec.mounts().size() - 1);
        assertEquals(new Mount("/dev/init", "bind", tini.toString(), List.of("bind", "ro", "nosuid", "nodev")), last);
    }

    @Test
    void aMissingTiniNamesTheFlagAndThePackage(@TempDir Path dir) {
        LaunchException e = assertThrows(LaunchException.class, () -> TiniInit.apply(SPEC, "--init", dir.resolve("absent")));
        assertTrue(e.getMessage().startsWith("--init: "), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install tini"), e.getMessage());
    }

    @Test
    void theAnnotationAsksForTiniOnly() {
        assertFalse(TiniInit.requested(SPEC, false));
        assertTrue(TiniInit.requested(SPEC, true));
        assertTrue(TiniInit.requested(SPEC.withAnnotations(Map.of(TiniInit.ANNOTATION, "tini")), false));
        LaunchException e = assertThrows(LaunchException.class,
                () -> TiniInit.requested(SPEC.withAnnotations(Map.of(TiniInit.ANNOTATION, "catatonit")), false));
        assertTrue(e.getMessage().startsWith("annotations[\"dev.bulwark.init\"]: \"catatonit\""), e.getMessage());
    }
}
