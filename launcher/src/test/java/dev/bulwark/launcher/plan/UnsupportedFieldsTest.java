package dev.bulwark.launcher.plan;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Hook;
import dev.bulwark.config.model.Hooks;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnsupportedFieldsTest {
    private static final Hook TRUE = new Hook("/bin/true", List.of("true"), List.of(), null);

    private static Spec withStartContainerHook(boolean userNamespace) {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        List<LinuxNamespace> namespaces = spec.linux().namespaces().stream()
                .filter(n -> userNamespace || !n.type().equals("user")).toList();
        Hooks hooks = new Hooks(List.of(), List.of(), List.of(), List.of(TRUE), List.of(), List.of());
        return new Spec(spec.ociVersion(), spec.process(), spec.root(), spec.hostname(), spec.domainname(), spec.mounts(),
                hooks, spec.annotations(), spec.linux().withNamespaces(namespaces));
    }

    @Test
    void aStartContainerHookWithoutAUserNamespaceIsRefusedNamingTheField() {
        // Its path resolves in the container's root: spawned by the launcher it would run an image's binary as host root.
        LaunchException refused = assertThrows(LaunchException.class, () -> UnsupportedFields.refuse(withStartContainerHook(false)));
        assertTrue(refused.getMessage().startsWith("hooks.startContainer: "), refused.getMessage());
    }

    @Test
    void aStartContainerHookInAUserNamespaceRuns() {
        assertDoesNotThrow(() -> UnsupportedFields.refuse(withStartContainerHook(true)));
    }
}
