package dev.bulwark.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The stress run from one JVM (as whatever user runs the tests; RootlessApiTest runs a smaller one
 * rootless): 1,000 containers, 100 running at once, started from 16 threads. No timing is asserted; every wait
 * is bounded (StressRun), so a hang is a failure, not a stuck build.
 */
class StressTest {
    @BeforeAll
    static void machineRunsContainers() {
        assumeTrue(Bulwark.unsupportedReason().isEmpty(), () -> Bulwark.unsupportedReason().orElse(""));
    }

    @Test
    void aThousandContainersAHundredAtOnceFromSixteenThreadsAllSucceedAndLeaveNothing() throws Exception {
        List<String> failures = StressRun.run(1000, 100, 16);
        assertEquals(List.of(), failures, failures.size() + " failure(s)");
    }

    @Test
    void aChildThisJvmHadBeforeTheRunIsNotCountedAsLeftByIt() throws Exception {
        Process earlier = new ProcessBuilder("sleep", "60").start(); // as an earlier test in the same fork may leave one
        try {
            List<String> failures = StressRun.run(20, 10, 4);
            assertEquals(List.of(), failures, failures.size() + " failure(s)");
        } finally {
            earlier.destroyForcibly();
            earlier.waitFor();
        }
    }
}
