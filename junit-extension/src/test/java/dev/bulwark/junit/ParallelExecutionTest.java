package dev.bulwark.junit;

import dev.bulwark.api.Bulwark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** JUnit's parallel execution: containers of concurrent tests stay apart and are all closed. */
class ParallelExecutionTest {
    @BeforeAll
    static void machineRunsContainers() {
        assumeTrue(Bulwark.unsupportedReason().isEmpty(), () -> Bulwark.unsupportedReason().orElse(""));
    }

    @Test
    void sixteenConcurrentTestsEachGetTheirOwnContainersAndLeaveNone() {
        ParallelFixtures.PIDS.clear();
        ParallelFixtures.THREADS.clear();
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
                .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "8")
                .selectors(selectClass(ParallelFixtures.class)).execute();
        results.testEvents().assertStatistics(stats -> stats.started(16).succeeded(16).failed(0));
        assertEquals(32, ParallelFixtures.PIDS.size(), "one own and one parameter container per test");
        assertTrue(ParallelFixtures.THREADS.size() > 1, "ran on " + ParallelFixtures.THREADS);
        for (int pid : ParallelFixtures.PIDS) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "container init " + pid + " still runs");
        }
        assertEquals(0, ProcessHandle.current().children().count(), "children of this JVM left");
    }
}
