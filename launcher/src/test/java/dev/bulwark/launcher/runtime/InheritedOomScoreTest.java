package dev.bulwark.launcher.runtime;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
                        // what a child cloned here would inherit
                        return wanted + "=" + score.during(adj, InheritedOomScoreTest::readOwn);
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

    private static String readOwn() {
        try {
            return Files.readString(OWN).trim();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
