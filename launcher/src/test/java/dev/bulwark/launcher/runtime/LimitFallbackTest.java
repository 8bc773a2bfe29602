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
    private static final List<PosixRlimit> UNLIMITED = List.of(new PosixRlimit("RLIMIT_NPROC", -1, -1),
            new PosixRlimit("RLIMIT_DATA", -1, -1));

    @Test
    void theDefaultsBecomeNprocAtThePidsLimitAndDataAtTheMemoryLimitPlusAJvmsInitialHeap() {
        LimitFallback fallback = LimitFallback.of(HardenedDefaults.resources(false), List.of(), 24 * GIB, UNLIMITED);
        long data = HardenedDefaults.MEMORY_LIMIT_BYTES + 24 * GIB / 64; // 512 MiB + 384 MiB
        assertEquals(List.of(new PosixRlimit("RLIMIT_NPROC", 1024, 1024), new PosixRlimit("RLIMIT_DATA", data, data)),
                fallback.rlimits());
        assertEquals("RLIMIT_NPROC=1024 and RLIMIT_DATA=896M (per process, private memory)", fallback.summary());
    }

    @Test
    void dataIsRoundedUpToWholeMebibytes() {
        LimitFallback fallback = LimitFallback.of(HardenedDefaults.resources(true), List.of(), 1000, UNLIMITED);
        assertEquals((512L << 20) + (1 << 20), fallback.rlimits().get(1).soft());
    }

    @Test
    void anRlimitTheConfigSetsItselfIsLeftAlone() {
        LimitFallback fallback = LimitFallback.of(HardenedDefaults.resources(false),
                List.of(new PosixRlimit("RLIMIT_NPROC", 50, 50)), GIB, UNLIMITED);
        assertEquals(List.of("RLIMIT_DATA"), fallback.rlimits().stream().map(PosixRlimit::type).toList());
        assertTrue(fallback.summary().startsWith("RLIMIT_DATA="), fallback.summary());
    }

    @Test
    void nothingToStandInFor() {
        LinuxResources none = new LinuxResources(List.of(), null, null, null, null, null, null, null, null);
        assertEquals(LimitFallback.none(), LimitFallback.of(none, List.of(), GIB, UNLIMITED));
    }

    @Test
    void aLowerInheritedLimitStaysSinceTheChildCannotRaiseAHardLimit() {
        // (type, hard, soft): NPROC soft 300 of hard 500; DATA hard 256 MiB, soft unlimited (as the kernel never has it)
        List<PosixRlimit> inherited = List.of(new PosixRlimit("RLIMIT_NPROC", 500, 300), new PosixRlimit("RLIMIT_DATA", 1L << 28, -1));
        LimitFallback fallback = LimitFallback.of(HardenedDefaults.resources(false), List.of(), GIB, inherited);
        assertEquals(List.of(new PosixRlimit("RLIMIT_NPROC", 500, 300), new PosixRlimit("RLIMIT_DATA", 1L << 28, 1L << 28)),
                fallback.rlimits());
        assertEquals("RLIMIT_NPROC=500 and RLIMIT_DATA=256M (per process, private memory)", fallback.summary());
    }

    @Test
    void inheritedLimitsAreThisProcesssOwn() {
        List<PosixRlimit> inherited = LimitFallback.inherited();
        assertEquals(List.of("RLIMIT_DATA", "RLIMIT_NPROC"), inherited.stream().map(PosixRlimit::type).sorted().toList());
        assertTrue(inherited.stream().allMatch(r -> Long.compareUnsigned(r.soft(), r.hard()) <= 0), inherited.toString());
        assertTrue(inherited.stream().allMatch(r -> r.hard() != 0), inherited.toString());
    }

    @Test
    void hostMemoryIsReadFromProcMeminfo() {
        assertTrue(LimitFallback.hostMemory() > 64L << 20);
    }
}
