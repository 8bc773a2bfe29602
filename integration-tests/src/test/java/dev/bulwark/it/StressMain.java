package dev.bulwark.it;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.launcher.plan.BuiltInDefault;
import dev.bulwark.launcher.runtime.ContainerRun;
import dev.bulwark.launcher.runtime.RunRequest;
import dev.bulwark.launcher.runtime.RunResult;
import dev.bulwark.nativ.Syscalls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Launch reliability under GC pressure: N sequential launches of {@code /bin/true} in the built-in
 * default container from one long-lived JVM while another thread allocates garbage (forcing frequent
 * collections, the condition that deadlocks a child running Java). Counts hangs (a launch over the
 * timeout), failures, and leaked processes, mounts and state directories.
 *
 * <p>{@code java -cp ... dev.bulwark.it.StressMain 10000 [--threads 16]} prints the totals (with
 * {@code --threads}, that many threads launch at once); the test suite runs a smaller count.
 */
public final class StressMain {
    /** What a stress run observed. */
    public record Report(int launches, int hangs, int failures, int leakedProcesses, int leakedMounts,
                         int leftoverStateDirs, long allocatedMegabytes, double meanMillis, List<String> firstProblems) {
        @Override
        public String toString() {
            return String.format("launches=%d hangs=%d failures=%d leakedProcesses=%d leakedMounts=%d leftoverStateDirs=%d "
                            + "garbageAllocated=%dMB meanLaunch=%.1fms%s", launches, hangs, failures, leakedProcesses,
                    leakedMounts, leftoverStateDirs, allocatedMegabytes, meanMillis,
                    firstProblems.isEmpty() ? "" : " problems=" + firstProblems);
        }
    }

    private StressMain() {
    }

    /** {@code StressMain [N] [--threads T]}: N launches (10,000) from T launching threads (1). */
    public static void main(String[] args) throws Exception {
        dev.bulwark.launcher.cli.LogOutput.configureOnFirstUse(); // warnings as the CLI shows them: each once
        int count = 10_000;
        int threads = 1;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--threads")) {
                threads = Integer.parseInt(args[++i]);
            } else {
                count = Integer.parseInt(args[i]);
            }
        }
        Report report = run(count, threads, Duration.ofSeconds(20));
        System.out.println("stress: threads=" + threads + " " + report);
        System.exit(report.hangs() + report.failures() + report.leakedProcesses() + report.leakedMounts()
                + report.leftoverStateDirs() == 0 ? 0 : 1);
    }

    /** A minimal Duration to keep this file free of java.time imports in callers. */
    public record Duration(long millis) {
        public static Duration ofSeconds(long seconds) {
            return new Duration(seconds * 1000);
        }
    }

    public static Report run(int count, Duration timeout) throws Exception {
        return run(count, 1, timeout);
    }

    /**
     * {@code count} launches spread over {@code threads} launching threads, all at once. Each thread
     * launches one container at a time and outlives it (PR_SET_PDEATHSIG follows the thread that
     * cloned). A launch running longer than {@code timeout} is a hang: the run stops there.
     */
    public static Report run(int count, int threads, Duration timeout) throws Exception {
        // 0711 like /run/bulwark: the container's root, an unprivileged host id, must reach the rootfs mount point.
        Path stateRoot = Files.createTempDirectory(Path.of("/tmp"), "bulwark-stress",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x")));
        Set<String> mountsBefore = Containers.hostMounts();
        GarbageMaker garbage = new GarbageMaker();
        garbage.start();
        java.util.concurrent.atomic.AtomicInteger threadNumber = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService launchers = Executors.newFixedThreadPool(threads,
                r -> new Thread(r, "stress-launcher-" + threadNumber.incrementAndGet()));
        java.util.concurrent.ConcurrentHashMap<Integer, Long> inFlight = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong totalNanos = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicInteger completed = new java.util.concurrent.atomic.AtomicInteger();
        List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        int euid = Syscalls.geteuid();
        int hangs = 0;
        try {
            List<Future<?>> launches = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int launch = i;
                launches.add(launchers.submit(() -> {
                    String id = "stress-" + launch;
                    RunRequest request = new RunRequest(BuiltInDefault.spec(euid, Syscalls.getegid(), List.of("/bin/true")),
                            null, id, true, stateRoot, false,
                            new LinuxIdMapping(0, DefaultsOptions.DEFAULT_HOST_ID_START, DefaultsOptions.DEFAULT_ID_RANGE_SIZE), null);
                    long started = System.nanoTime();
                    inFlight.put(launch, started);
                    try {
                        RunResult result = ContainerRun.run(request);
                        totalNanos.addAndGet(System.nanoTime() - started);
                        completed.incrementAndGet();
                        if (result.exitStatus() != 0) {
                            failures.incrementAndGet();
                            note(problems, "launch " + launch + " exited " + result.exitStatus());
                        }
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                        note(problems, "launch " + launch + ": " + e.getMessage());
                    } finally {
                        inFlight.remove(launch);
                    }
                }));
            }
            while (!launches.stream().allMatch(Future::isDone)) {
                long now = System.nanoTime();
                List<Integer> hung = inFlight.entrySet().stream()
                        .filter(e -> now - e.getValue() > timeout.millis() * 1_000_000).map(java.util.Map.Entry::getKey).toList();
                if (!hung.isEmpty()) {
                    hangs = hung.size();
                    note(problems, "launches " + hung + " hung; children: " + describeChildren());
                    break; // their threads are stuck; the others would queue behind them
                }
                Thread.sleep(50);
            }
        } finally {
            garbage.stop();
            launchers.shutdownNow();
        }
        int leakedProcesses = (int) ProcessHandle.current().children().count();
        int leakedMounts = Containers.mountsAddedSince(mountsBefore).size();
        int leftover;
        try (Stream<Path> dirs = Files.list(stateRoot)) {
            leftover = (int) dirs.count();
        }
        deleteTree(stateRoot);
        return new Report(count, hangs, failures.get(), leakedProcesses, leakedMounts, leftover, garbage.allocatedMegabytes(),
                totalNanos.get() / 1e6 / Math.max(1, completed.get()), List.copyOf(problems));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void note(List<String> problems, String problem) {
        synchronized (problems) {
            if (problems.size() < 5) {
                problems.add(problem);
            }
        }
    }

    private static String describeChildren() {
        StringBuilder out = new StringBuilder();
        ProcessHandle.current().children().forEach(child -> {
            out.append(child.pid()).append(' ');
            try {
                out.append(Files.readString(Path.of("/proc", Long.toString(child.pid()), "wchan"))).append(' ');
                out.append(Files.readString(Path.of("/proc", Long.toString(child.pid()), "status")).lines()
                        .filter(l -> l.startsWith("State:")).findFirst().orElse("")).append("; ");
            } catch (IOException e) {
                out.append("(gone) ");
            }
        });
        return out.toString();
    }

    /** Allocates short-lived garbage (and keeps a rolling window alive) so collections happen constantly. */
    private static final class GarbageMaker {
        private final Thread thread = new Thread(this::churn, "garbage-maker");
        private volatile boolean running = true;
        private volatile long allocated;

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
        }

        long allocatedMegabytes() {
            return allocated / (1024 * 1024);
        }

        private void churn() {
            byte[][] window = new byte[256][];
            int slot = 0;
            while (running) {
                window[slot] = new byte[64 * 1024];
                slot = (slot + 1) % window.length;
                allocated += 64 * 1024;
            }
        }
    }
}
