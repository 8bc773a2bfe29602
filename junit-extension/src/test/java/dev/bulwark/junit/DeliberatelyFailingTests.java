package dev.bulwark.junit;

import dev.bulwark.api.Bulwark;
import dev.bulwark.api.RunningContainer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Run only by {@link FailureReportTest} through the engine test kit (surefire excludes it): one class
 * container, one per-test container, one parameter container, and a test that fails.
 */
@BulwarkTest
class DeliberatelyFailingTests {
    /** The init pids the tests saw, for FailureReportTest to check that all of them are gone. */
    static final List<Integer> PIDS = new CopyOnWriteArrayList<>();
    static final List<String> IDS = new CopyOnWriteArrayList<>();

    @Container
    static ContainerFixture shared = ContainerFixture.of(Bulwark.container("/bin/sh", "-c",
            "echo shared-fixture-says-hello; exec sleep 600"));

    @Container
    ContainerFixture perTest = ContainerFixture.of(Bulwark.container("/bin/sh", "-c",
            "echo per-test-stdout-marker; echo per-test-stderr-marker >&2; exec sleep 600"));

    @Test
    void failsWhileItsContainersRun(@Container(command = {"/bin/sh", "-c", "echo parameter-marker; exec sleep 600"})
                                    RunningContainer parameter) {
        record(parameter);
        record(perTest.container());
        record(shared.container());
        perTest.container().awaitOutput("per-test-stderr-marker", Duration.ofSeconds(10));
        parameter.awaitOutput("parameter-marker", Duration.ofSeconds(10));
        assertEquals("what the service answered", "something else");
    }

    @Test
    void passes() {
        record(perTest.container());
        record(shared.container());
    }

    private static void record(RunningContainer container) {
        PIDS.add(container.pid());
        IDS.add(container.id());
    }
}
