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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Launch reliability under GC pressure: N sequential launches of {@code /bin/true} in the built-in
 * default container from one long-lived JVM while another thread allocates garbage (forcing frequent
 * collections, the condition that deadlocks a child running Java). Counts hangs (a launch over the
 * timeout), failures, and leaked processes, mounts and state directories.
 *
 * <p>{@code java -cp ... dev.bulwark.it.StressMain 10000} prints the totals; the test suite runs a smaller count.
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

    public static void main(String[] args) throws Exception {
        dev.bulwark.launcher.cli.LogOutput.configureOnFirstUse(); // warnings as the CLI shows them: each once
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Report report = run(count, Duration.ofSeconds(20));
        System.out.println("stress: " + report);
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
        // 0711 like /run/bulwark: the container's root, an unprivileged host id, must reach the rootfs mount point.
        Path stateRoot = Files.createTempDirectory(Path.of("/tmp"), "bulwark-stress",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x")));
        int mountsBefore = Containers.hostMountCount();
        GarbageMaker garbage = new GarbageMaker();
        garbage.start();
        // One launching thread for the whole run: PR_SET_PDEATHSIG follows the thread that cloned.
        ExecutorService launcher = Executors.newSingleThreadExecutor(r -> new Thread(r, "stress-launcher"));
        int hangs = 0;
        int failures = 0;
        long totalNanos = 0;
        List<String> problems = new ArrayList<>();
        int euid = Syscalls.geteuid();
        try {
            for (int i = 0; i < count; i++) {
                String id = "stress-" + i;
                RunRequest request = new RunRequest(BuiltInDefault.spec(euid, Syscalls.getegid(), List.of("/bin/true")),
                        null, id, true, stateRoot, false,
                        new LinuxIdMapping(0, DefaultsOptions.DEFAULT_HOST_ID_START, DefaultsOptions.DEFAULT_ID_RANGE_SIZE), null);
                long started = System.nanoTime();
                Future<RunResult> launch = launcher.submit(() -> ContainerRun.run(request));
                try {
                    RunResult result = launch.get(timeout.millis(), TimeUnit.MILLISECONDS);
                    totalNanos += System.nanoTime() - started;
                    if (result.exitStatus() != 0) {
                        failures++;
                        note(problems, "launch " + i + " exited " + result.exitStatus());
                    }
                } catch (TimeoutException e) {
                    hangs++;
                    note(problems, "launch " + i + " hung; children: " + describeChildren());
                    break; // the launching thread is stuck; later launches would queue behind it
                } catch (java.util.concurrent.ExecutionException e) {
                    failures++;
                    note(problems, "launch " + i + ": " + e.getCause().getMessage());
                }
            }
        } finally {
            garbage.stop();
            launcher.shutdownNow();
        }
        int leakedProcesses = (int) ProcessHandle.current().children().count();
        int leakedMounts = Containers.hostMountCount() - mountsBefore;
        int leftover;
        try (Stream<Path> dirs = Files.list(stateRoot)) {
            leftover = (int) dirs.count();
        }
        deleteTree(stateRoot);
        int completed = Math.max(1, count - hangs - failures);
        return new Report(count, hangs, failures, leakedProcesses, leakedMounts, leftover, garbage.allocatedMegabytes(),
                totalNanos / 1e6 / completed, problems);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void note(List<String> problems, String problem) {
        if (problems.size() < 5) {
            problems.add(problem);
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
