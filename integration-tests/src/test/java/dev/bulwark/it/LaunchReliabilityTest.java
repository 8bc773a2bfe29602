package dev.bulwark.it;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regression guard for the rule that no Java runs in the child: launches from one JVM while another
 * thread forces garbage collections must never hang. The full proof (10,000 launches) is
 * {@code bench/stress.sh --in-jvm}; CI runs this smaller count.
 */
class LaunchReliabilityTest {
    static final int LAUNCHES = Integer.getInteger("bulwark.stress.launches", 300);

    @Test
    void launchesUnderGcPressureNeverHangOrLeak() throws Exception {
        Mode.ROOT.assumeAvailable();
        StressMain.Report report = StressMain.run(LAUNCHES, StressMain.Duration.ofSeconds(20));
        System.out.println("LaunchReliabilityTest: " + report);
        assertEquals(0, report.hangs(), report.toString());
        assertEquals(0, report.failures(), report.toString());
        assertEquals(0, report.leakedProcesses(), report.toString());
        assertEquals(0, report.leakedMounts(), report.toString());
        assertEquals(0, report.leftoverStateDirs(), report.toString());
        assertTrue(report.allocatedMegabytes() > 100, "the garbage thread really allocated: " + report);
    }
}
