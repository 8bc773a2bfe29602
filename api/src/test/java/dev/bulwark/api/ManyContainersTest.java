package dev.bulwark.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Many containers from many threads of one JVM: all succeed, each sees only its own output, nothing is left. */
class ManyContainersTest {
    private static final int CONTAINERS = 50;
    private static final int THREADS = 8;

    @BeforeAll
    static void machineRunsContainers() {
        assumeTrue(Bulwark.unsupportedReason().isEmpty(), () -> Bulwark.unsupportedReason().orElse(""));
    }

    @Test
    void fiftyContainersFromEightThreadsAllSucceedAndLeaveNothing() throws Exception {
        Path stateRoot = Files.createTempDirectory("bulwark-api-state");
        stateRoot.toFile().setExecutable(true, false);
        long mountsBefore = mountCount();
        Set<Integer> pids = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<ContainerResult>> results = new ArrayList<>();
            for (int i = 0; i < CONTAINERS; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    try (RunningContainer c = Bulwark.container("/bin/sh", "-c", "echo container-" + n + "; echo err-" + n + " >&2")
                            .stateRoot(stateRoot).start()) {
                        pids.add(c.pid());
                        assertTrue(c.waitFor(java.time.Duration.ofSeconds(60)), "container " + n + " still runs");
                        return c.result();
                    }
                }));
            }
            for (int i = 0; i < CONTAINERS; i++) {
                ContainerResult result = results.get(i).get();
                assertEquals(0, result.exitStatus(), result.stderr());
                assertEquals("container-" + i + "\n", result.stdout());
                assertEquals("err-" + i + "\n", result.stderr());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(CONTAINERS, pids.size());
        for (int pid : pids) {
            assertTrue(ProcessHandle.of(pid).isEmpty() || !ProcessHandle.of(pid).get().isAlive(), "pid " + pid + " still runs");
        }
        assertEquals(0, ProcessHandle.current().children().count(), "children of this JVM left");
        try (Stream<Path> left = Files.list(stateRoot)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList(),
                    "state directories left");
        }
        assertEquals(mountsBefore, mountCount(), "mounts left in the launcher's mount namespace");
        try (Stream<Path> left = Files.list(stateRoot)) { // lock files only (checked above)
            for (Path p : (Iterable<Path>) left::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(stateRoot);
    }

    private static long mountCount() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.count();
        }
    }
}
