package dev.bulwark.launcher.plan;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Root;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ProfileTest {
    /** A config as runc would take it: no user namespace, no seccomp, no NNP, root.readonly absent, some capabilities. */
    private static Spec plain() {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root()).withAnnotations(Map.of());
        var linux = spec.linux().withNamespaces(List.of(new LinuxNamespace("pid"), new LinuxNamespace("mount")));
        var caps = new LinuxCapabilities(List.of("CAP_KILL", "CAP_SYS_ADMIN"), List.of("CAP_KILL"), List.of(),
                List.of("CAP_KILL"), List.of());
        return spec.withLinux(linux).withRoot(new Root("rootfs", null))
                .withProcess(spec.process().withNoNewPrivileges(null).withCapabilities(caps));
    }

    @Test
    void ociChangesNothing() {
        Spec written = plain();
        Spec spec = Profile.OCI.apply(written);
        assertFalse(spec.linux().hasNamespace("user"));
        assertNull(spec.linux().seccomp());
        assertNull(spec.process().noNewPrivileges());
        assertNull(spec.root().readonly());
        assertEquals(List.of("CAP_KILL", "CAP_SYS_ADMIN"), spec.process().capabilities().bounding());
        assertEquals(written.annotations(), spec.annotations(), "the state reports the annotations as written");
    }

    @Test
    void hardenedLiftsTheConfig() {
        Spec spec = Profile.HARDENED.apply(plain());
        assertEquals("user", spec.linux().namespaces().get(0).type());
        assertNotNull(spec.linux().seccomp());
        assertEquals(Boolean.TRUE, spec.process().noNewPrivileges());
        assertEquals(Boolean.TRUE, spec.root().readonly());
        assertEquals(List.of("CAP_KILL"), spec.process().capabilities().bounding(), "CAP_SYS_ADMIN was asked for by no other set");
        assertFalse(spec.annotations().containsKey("dev.bulwark.landlock"), "Landlock's default rules apply");
        assertEquals("hardened", spec.annotations().get("dev.bulwark.profile"), "the state says how it runs");
    }

    @Test
    void hardenedKeepsWhatTheConfigSaysExplicitly() {
        Spec plain = plain();
        Spec explicit = plain.withRoot(new Root("rootfs", false)).withProcess(plain.process().withNoNewPrivileges(false));
        Spec spec = Profile.HARDENED.apply(explicit);
        assertEquals(Boolean.FALSE, spec.root().readonly());
        assertEquals(Boolean.FALSE, spec.process().noNewPrivileges());
    }

    @Test
    void aConfigWrittenForTheHardenedProfileGetsItUnderOci() {
        Spec written = HardenedDefaults.spec(DefaultsOptions.root());
        assertEquals(Profile.HARDENED, Profile.OCI.effectiveFor(written));
        assertNotNull(Profile.OCI.apply(written).linux().seccomp(), "bulwark spec's config keeps the default seccomp profile");
    }

    @Test
    void selectionOrderIsFlagEnvironmentFileDefault(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bulwark.json");
        assertEquals(Profile.OCI, new ProfileSelection(null, Map.of(), file).profile());
        Files.writeString(file, "{\"profile\": \"hardened\"}");
        assertEquals(Profile.HARDENED, new ProfileSelection(null, Map.of(), file).profile());
        assertEquals(Profile.OCI, new ProfileSelection(null, Map.of("BULWARK_PROFILE", "oci"), file).profile());
        assertEquals(Profile.HARDENED, new ProfileSelection("hardened", Map.of("BULWARK_PROFILE", "oci"), file).profile());
    }

    @Test
    void theGlobalFlagComesAfterTheVerbsFlagAndBeforeTheEnvironment(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bulwark.json");
        Files.writeString(file, "{\"profile\": \"oci\"}");
        Map<String, String> ociEnvironment = Map.of("BULWARK_PROFILE", "oci");
        assertEquals(Profile.HARDENED, new ProfileSelection(null, "hardened", ociEnvironment, file).profile());
        assertEquals(Profile.OCI, new ProfileSelection("oci", "hardened", Map.of(), file).profile());
        assertEquals(Profile.OCI, new ProfileSelection(null, "oci", Map.of("BULWARK_PROFILE", "hardened"), file).profile());
        assertEquals("bulwark --profile (before the verb): unknown profile \"x\" (expected hardened or oci)",
                assertThrows(LaunchException.class, () -> new ProfileSelection(null, "x", Map.of(), file).profile()).getMessage());
    }

    @Test
    void badSelectionsAreOneLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bulwark.json");
        Files.writeString(file, "{\"profile\": 3}");
        assertEquals(file + ": \"profile\" must be a string (hardened or oci)",
                assertThrows(LaunchException.class, () -> new ProfileSelection(null, Map.of(), file).profile()).getMessage());
        Files.writeString(file, "{not json");
        assertTrue(assertThrows(LaunchException.class, () -> new ProfileSelection(null, Map.of(), file).profile())
                .getMessage().startsWith(file + ": cannot read it as JSON: "));
        assertEquals("--profile: unknown profile \"strict\" (expected hardened or oci)",
                assertThrows(LaunchException.class, () -> new ProfileSelection("strict", Map.of(), file).profile()).getMessage());
    }
}
