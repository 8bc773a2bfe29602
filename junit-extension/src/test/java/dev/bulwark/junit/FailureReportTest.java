package dev.bulwark.junit;

import dev.bulwark.api.Bulwark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** A failing test's report carries its containers' output; every container is gone afterwards, failed test or not. */
class FailureReportTest {
    @BeforeAll
    static void machineRunsContainers() {
        assumeTrue(Bulwark.unsupportedReason().isEmpty(), () -> Bulwark.unsupportedReason().orElse(""));
    }

    @Test
    void theFailureCarriesEveryContainersOutputAndNothingIsLeft() {
        DeliberatelyFailingTests.PIDS.clear();
        DeliberatelyFailingTests.IDS.clear();
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(DeliberatelyFailingTests.class)).execute();
        results.containerEvents().failed().list().forEach(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).ifPresent(Throwable::printStackTrace));
        results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(1).failed(1));

        Event failed = results.testEvents().failed().list().get(0);
        Throwable failure = failed.getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
                .getThrowable().orElseThrow();
        String suppressed = Arrays.stream(failure.getSuppressed()).map(Throwable::getMessage).collect(Collectors.joining("\n"));
        assertTrue(suppressed.contains("per-test-stdout-marker") && suppressed.contains("per-test-stderr-marker"), suppressed);
        assertTrue(suppressed.contains("parameter-marker"), suppressed);
        assertTrue(suppressed.contains("shared-fixture-says-hello"), suppressed);
        assertTrue(suppressed.contains("user namespace"), "the launch narration is attached: " + suppressed);
        assertEquals(3, failure.getSuppressed().length, suppressed);

        List<ReportEntry> entries = results.allEvents().reportingEntryPublished().list().stream()
                .map(e -> e.getPayload(ReportEntry.class).orElseThrow()).toList();
        assertTrue(entries.stream().anyMatch(e -> e.getKeyValuePairs().getOrDefault("bulwark.stdout", "")
                .contains("per-test-stdout-marker")), entries.toString());

        // 2 tests x per-test + 1 parameter + the shared one (recorded by both tests)
        assertEquals(5, DeliberatelyFailingTests.IDS.size(), DeliberatelyFailingTests.IDS.toString());
        assertEquals(4, DeliberatelyFailingTests.IDS.stream().distinct().count(), DeliberatelyFailingTests.IDS.toString());
        for (int pid : DeliberatelyFailingTests.PIDS) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "container init " + pid + " still runs");
        }
        Path stateRoot = dev.bulwark.launcher.runtime.StateRoot.defaultPath(dev.bulwark.nativ.Syscalls.geteuid()); // root or rootless
        for (String id : DeliberatelyFailingTests.IDS) {
            assertFalse(Files.exists(stateRoot.resolve(id)), "state directory of " + id + " left behind");
        }
    }
}
