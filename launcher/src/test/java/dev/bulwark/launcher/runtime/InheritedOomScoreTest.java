package dev.bulwark.launcher.runtime;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process's one oom_score_adj, taken by execs from many threads of an embedding JVM at once. */
class InheritedOomScoreTest {
    private static final Path OWN = Path.of("/proc/self/oom_score_adj");

    @Test
    void concurrentExecsEachCloneWithTheirOwnValueAndTheJvmKeepsItsOwn() throws Exception {
        String before = Files.readString(OWN).trim();
        int base = Integer.parseInt(before);
        ExecutorService threads = Executors.newFixedThreadPool(16);
        try {
            List<Future<String>> seen = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                // values at or above the JVM's own (an unprivileged JVM may raise its own, not lower it), or none:
                // that exec inherits the JVM's own
                Integer adj = i % 5 == 0 ? null : Math.min(1000, base + 1 + i % 50);
                String wanted = adj == null ? before : adj.toString();
                seen.add(threads.submit(() -> {
                    try (InheritedOomScore score = InheritedOomScore.open()) {
                        // what a child cloned here would inherit; then the clone's parent callback ends the window
                        return wanted + "=" + score.during(adj, window -> {
                            String inherited = readOwn();
                            window.cloned();
                            return inherited;
                        });
                    }
                }));
            }
            for (Future<String> each : seen) {
                String[] wantedAndInherited = each.get(60, TimeUnit.SECONDS).split("=");
                assertEquals(wantedAndInherited[0], wantedAndInherited[1], "the value a clone inherits");
            }
        } finally {
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertEquals(before, readOwn(), "the JVM's own oom_score_adj after the execs");
    }

    @Test
    void aCloneWhoseChildStallsAfterTheCloneDoesNotHoldUpAnotherClone() throws Exception {
        String before = Files.readString(OWN).trim();
        int raised = Math.min(1000, Integer.parseInt(before) + 1);
        CountDownLatch cloned = new CountDownLatch(1);
        CountDownLatch childSetUp = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (InheritedOomScore score = InheritedOomScore.open()) {
            // an exec whose cloned child stalls in its setup (a frozen cgroup, a pid namespace's fork awaited)
            Future<String> stalled = threads.submit(() -> score.during(raised, window -> {
                String inherited = readOwn();
                window.cloned();
                cloned.countDown();
                await(childSetUp);
                return inherited;
            }));
            assertTrue(cloned.await(60, TimeUnit.SECONDS));
            // another exec and a run's init clone meanwhile, with the launcher's own value
            Future<String> exec = threads.submit(() -> score.during(null, window -> {
                String inherited = readOwn();
                window.cloned();
                return inherited;
            }));
            assertEquals(before, exec.get(60, TimeUnit.SECONDS), "another exec's clone, while the first child stalls");
            assertEquals(before, InheritedOomScore.withOwnValue(window -> readOwn()), "a run's clone meanwhile");
            assertFalse(stalled.isDone(), "the first exec still waits for its child");
            childSetUp.countDown();
            assertEquals(Integer.toString(raised), stalled.get(60, TimeUnit.SECONDS), "the first exec's child's value");
        } finally {
            childSetUp.countDown();
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertEquals(before, readOwn(), "the JVM's own oom_score_adj after the execs");
    }

    @Test
    void aCloneThatNeverReachesItsCallbackStillEndsTheWindow() throws Exception {
        String before = Files.readString(OWN).trim();
        int raised = Math.min(1000, Integer.parseInt(before) + 1);
        try (InheritedOomScore score = InheritedOomScore.open()) {
            assertThrows(IllegalStateException.class, () -> score.during(raised, window -> {
                throw new IllegalStateException("clone failed");
            }));
            assertEquals(before, readOwn(), "the launcher's own value back after a failed clone");
            ExecutorService thread = Executors.newSingleThreadExecutor();
            try { // the lock was given back: another clone goes ahead
                assertEquals(before, thread.submit(() -> InheritedOomScore.withOwnValue(window -> readOwn()))
                        .get(60, TimeUnit.SECONDS));
            } finally {
                thread.shutdownNow();
            }
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String readOwn() {
        try {
            return Files.readString(OWN).trim();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
