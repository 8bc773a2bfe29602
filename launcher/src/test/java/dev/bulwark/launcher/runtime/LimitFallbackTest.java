package dev.bulwark.launcher.runtime;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.PosixRlimit;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitFallbackTest {
    private static final long GIB = 1L << 30;

    @Test
    void theDefaultsBecomeNprocAtThePidsLimitAndDataAtTheMemoryLimitPlusAJvmsInitialHeap() {
        LimitFallback fallback = LimitFallback.of(HardenedDefaults.resources(false), List.of(), 24 * GIB);
        long data = HardenedDefaults.MEMORY_LIMIT_BYTES + 24 * GIB / 64; // 512 MiB + 384 MiB
        assertEquals(List.of(new PosixRlimit("RLIMIT_NPROC", 1024, 1024), new PosixRlimit("RLIMIT_DATA", data, data)),
                fallback.rlimits());
        assertEquals("RLIMIT_NPROC=1024 and RLIMIT_DATA=896M (per process)", fallback.summary());
    }

    @Test
    void dataIsRoundedUpToWholeMebibytes() {
        LimitFallback fallback = LimitFallback.of(HardenedDefaults.resources(true), List.of(), 1000);
        assertEquals((512L << 20) + (1 << 20), fallback.rlimits().get(1).soft());
    }

    @Test
    void anRlimitTheConfigSetsItselfIsLeftAlone() {
        LimitFallback fallback = LimitFallback.of(HardenedDefaults.resources(false),
                List.of(new PosixRlimit("RLIMIT_NPROC", 50, 50)), GIB);
        assertEquals(List.of("RLIMIT_DATA"), fallback.rlimits().stream().map(PosixRlimit::type).toList());
        assertTrue(fallback.summary().startsWith("RLIMIT_DATA="), fallback.summary());
    }

    @Test
    void nothingToStandInFor() {
        LinuxResources none = new LinuxResources(List.of(), null, null, null, null, null, null, null, null);
        assertEquals(LimitFallback.none(), LimitFallback.of(none, List.of(), GIB));
    }

    @Test
    void hostMemoryIsReadFromProcMeminfo() {
        assertTrue(LimitFallback.hostMemory() > 64L << 20);
    }
}
