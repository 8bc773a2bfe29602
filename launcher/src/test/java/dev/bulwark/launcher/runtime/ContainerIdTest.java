package dev.bulwark.launcher.runtime;

import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/** runc's id rule: one plain path component of letters, digits, '_', '+', '-', '.'. */
class ContainerIdTest {
    @ParameterizedTest
    @ValueSource(strings = {"web-1", "a", "A_b.c+d-e", "..a", "a..b", "bulwark-0f3a"})
    void acceptsPlainNames(String id) {
        assertEquals(id, ContainerId.parse(id, "--id").value());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "../../x", "/var/tmp/v", "a/b", "a b", "a\nb", "ü", "a:b", "a\u0000b", "*", "~removing-1-2"})
    void refusesAnythingElseNamingTheSource(String id) {
        LaunchException e = assertThrows(LaunchException.class, () -> ContainerId.parse(id, "--id"));
        assertTrue(e.getMessage().startsWith("--id: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        assertEquals(LaunchException.LAUNCHER_ERROR, e.exitStatus());
        assertFalse(ContainerId.isValid(id));
    }

    @Test
    void refusesOverlongIds() {
        assertTrue(ContainerId.isValid("a".repeat(ContainerId.MAX_LENGTH)));
        LaunchException e = assertThrows(LaunchException.class, () -> ContainerId.parse("a".repeat(ContainerId.MAX_LENGTH + 1), "ID"));
        assertTrue(e.getMessage().startsWith("ID: ") && e.getMessage().length() < 200, e.getMessage());
    }
}
