package dev.bulwark.launcher.plan;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ResourceFlagsTest {
    private static final Spec DEFAULT = HardenedDefaults.spec(DefaultsOptions.root());

    @Test
    void pidsSetsTheLimitAndMinusOneMeansNone() {
        assertEquals(16L, ResourceFlags.apply(DEFAULT, null, 16L, null).linux().resources().pids().limit());
        assertEquals(-1L, ResourceFlags.apply(DEFAULT, null, -1L, null).linux().resources().pids().limit());
    }

    @Test
    void pidsZeroIsRefusedOnTheFlagThoughAConfigMayCarryIt() {
        // in a config, pids.limit 0 means "not set" (runc 1.1): on the flag it would silently drop the default limit
        LaunchException e = assertThrows(LaunchException.class, () -> ResourceFlags.apply(DEFAULT, null, 0L, null));
        assertEquals("--pids: must be positive, or -1 for no limit, got 0", e.getMessage());
    }

    @Test
    void cpusMustBePositive() {
        LaunchException e = assertThrows(LaunchException.class, () -> ResourceFlags.apply(DEFAULT, null, null, 0.0));
        assertEquals("--cpus: must be positive, got 0.0", e.getMessage());
    }
}
