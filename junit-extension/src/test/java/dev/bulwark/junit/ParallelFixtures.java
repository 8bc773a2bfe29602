package dev.bulwark.junit;

import dev.bulwark.api.Bulwark;
import dev.bulwark.api.RunningContainer;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Run only by {@link ParallelExecutionTest} (surefire excludes it): 16 tests at once, each with its own containers. */
@BulwarkTest
@Execution(ExecutionMode.CONCURRENT)
class ParallelFixtures {
    static final Set<Integer> PIDS = ConcurrentHashMap.newKeySet();
    static final Set<String> THREADS = ConcurrentHashMap.newKeySet();

    @Container
    ContainerFixture own = ContainerFixture.of(Bulwark.container("/bin/sh", "-c", "echo $$; exec sleep 600"));

    @RepeatedTest(16)
    void eachTestHasItsOwnContainers(@Container(command = {"/bin/sh", "-c", "echo param; exec sleep 600"}) RunningContainer param) {
        THREADS.add(Thread.currentThread().getName());
        PIDS.add(own.container().pid());
        PIDS.add(param.pid());
        assertTrue(param.awaitOutput("param", Duration.ofSeconds(20)));
        assertTrue(own.container().awaitOutput("1\n", Duration.ofSeconds(20)), own.container().stdoutText());
        assertEquals("1\n", own.container().stdoutText()); // its own pid namespace: the shell is pid 1
    }
}
