package dev.bulwark.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Many containers from many threads of one JVM, in waves: each wave starts {@code concurrent} containers from
 * {@code threads} threads, all running at once (each waits on its stdin), then lets each end (one line on
 * stdin, then end-of-file) and checks its status and that it saw only its own output. Every wait is bounded.
 * Afterwards nothing may be left: no child process, no container init, no state directory, no cgroup or mount
 * naming a container, no open fd of this JVM's beyond a small slack. Used as root by {@link StressTest} and
 * rootless by {@link RootlessProbe}; the failures are returned, one line each.
 */
final class StressRun {
    private static final Duration WAIT = Duration.ofSeconds(120);
    /** The JVM's own fds may change a little meanwhile (class path jars, JIT): a leak per container is far more. */
    private static final int FD_SLACK = 16;

    private StressRun() {
    }

    static List<String> run(int total, int concurrent, int threads) throws Exception {
        List<String> failures = new ArrayList<>();
        Path stateRoot = Files.createTempDirectory("bulwark-api-stress");
        stateRoot.toFile().setExecutable(true, false);
        // what this JVM had before the run (earlier tests in the same fork may have left some): only new ones count
        Before before = new Before(count(Path.of("/proc/self/fd")), children());
        Set<Integer> pids = ConcurrentHashMap.newKeySet();
        Set<String> ids = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int wave = 0; wave * concurrent < total && failures.size() < 20; wave++) {
                int first = wave * concurrent;
                int size = Math.min(concurrent, total - first);
                List<Future<RunningContainer>> started = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    int n = first + i;
                    started.add(pool.submit(() -> {
                        RunningContainer c = Bulwark.container("/bin/sh", "-c", "echo started-" + n + "; read line; echo \"$line\"; "
                                + "cat; echo err-" + n + " >&2").openStdin().stateRoot(stateRoot).start();
                        pids.add(c.pid());
                        ids.add(c.id());
                        return c;
                    }));
                }
                List<RunningContainer> running = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    try {
                        running.add(started.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS));
                    } catch (TimeoutException e) {
                        failures.add("container " + (first + i) + ": start still not done after " + WAIT);
                    } catch (Exception e) {
                        failures.add("container " + (first + i) + ": " + e.getCause());
                    }
                }
                // all of the wave run at once here
                List<Future<String>> ended = new ArrayList<>();
                for (int i = 0; i < running.size(); i++) {
                    RunningContainer c = running.get(i);
                    int n = first + i;
                    ended.add(pool.submit(() -> {
                        try (c) {
                            OutputStream in = c.stdin();
                            in.write(("bye-" + n + "\n").getBytes(StandardCharsets.UTF_8));
                            in.close();
                            if (!c.waitFor(WAIT)) {
                                return "container " + n + " (" + c.id() + ") still runs after " + WAIT;
                            }
                            ContainerResult r = c.result();
                            String expected = "started-" + n + "\nbye-" + n + "\n";
                            if (r.exitStatus() != 0 || !r.stdout().equals(expected) || !r.stderr().equals("err-" + n + "\n")) {
                                return "container " + n + ": status " + r.exitStatus() + ", stdout " + r.stdout().strip()
                                        + ", stderr " + r.stderr().strip();
                            }
                            return null;
                        }
                    }));
                }
                for (Future<String> f : ended) {
                    try {
                        String failure = f.get(WAIT.toSeconds() * 2, TimeUnit.SECONDS);
                        if (failure != null) {
                            failures.add(failure);
                        }
                    } catch (TimeoutException e) {
                        failures.add("a container's end or close hung for " + WAIT.multipliedBy(2));
                    }
                }
            }
        } finally {
            pool.shutdown();
            if (!pool.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                failures.add("launching threads still busy after " + WAIT);
            }
        }
        if (pids.size() != total && failures.isEmpty()) {
            failures.add(pids.size() + " distinct init pids for " + total + " containers");
        }
        checkNothingLeft(failures, stateRoot, pids, ids, before);
        return failures;
    }

    /** This JVM's open fds and child processes before the run. */
    private record Before(long fds, Set<Long> children) {
    }

    private static Set<Long> children() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).collect(java.util.stream.Collectors.toSet());
    }

    private static void checkNothingLeft(List<String> failures, Path stateRoot, Set<Integer> pids, Set<String> ids, Before before)
            throws IOException {
        for (int pid : pids) {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                    && ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("").matches(".*/(sh|cat|dash)$")) {
                failures.add("container init pid " + pid + " still runs");
            }
        }
        List<Long> children = children().stream().filter(pid -> !before.children().contains(pid)).sorted().toList();
        if (!children.isEmpty()) {
            failures.add("children of this JVM left by the run: " + children);
        }
        try (Stream<Path> left = Files.list(stateRoot)) {
            List<String> dirs = left.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
            if (!dirs.isEmpty()) {
                failures.add("state directories left: " + dirs.subList(0, Math.min(5, dirs.size())) + " (" + dirs.size() + ")");
            }
        }
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(stateRoot.toString()) || l.contains("bulwark-copies-") || ids.stream().anyMatch(l::contains))
                .toList();
        if (!mounts.isEmpty()) {
            failures.add("mounts left in this JVM's mount namespace: " + mounts);
        }
        for (Path v2 : cgroupV2Mounts()) {
            try (Stream<Path> dirs = Files.walk(v2, 4)) {
                List<Path> left = dirs.filter(Files::isDirectory)
                        .filter(d -> ids.contains(d.getFileName().toString()) || ids.stream().anyMatch(id -> d.toString().contains(id)))
                        .toList();
                if (!left.isEmpty()) {
                    failures.add("cgroups left: " + left);
                }
            } catch (java.io.UncheckedIOException e) {
                // a cgroup removed by someone else during the walk
            }
        }
        long fdsAfter = count(Path.of("/proc/self/fd"));
        if (fdsAfter > before.fds() + FD_SLACK) {
            failures.add("open fds of this JVM: " + before.fds() + " before, " + fdsAfter + " after");
        }
        try (Stream<Path> left = Files.list(stateRoot)) {
            for (Path p : (Iterable<Path>) left::iterator) {
                Files.delete(p); // the root's lock file (the directories were checked above)
            }
        }
        Files.delete(stateRoot);
    }

    private static List<Path> cgroupV2Mounts() throws IOException {
        List<Path> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ");
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                mounts.add(Path.of(halves[0].split(" ")[4]));
            }
        }
        return mounts;
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }
}
