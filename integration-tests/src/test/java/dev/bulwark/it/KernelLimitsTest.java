package dev.bulwark.it;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Bounds that protect the host from one container (issue 7): the default pids/memory limits hold
 * where cgroup v2 cannot apply them (rlimit fallback), and the container's user namespace has its
 * own per-user kernel limits, so it cannot take what the launching user shares with the host.
 *
 * <p>The fork bomb and the memory hog run under an outer bound set before the launcher starts
 * ({@code prlimit}, inherited by everything the run starts, and {@code timeout}), so a broken bound
 * inside fails the assertion but never takes the machine's pids or memory.
 */
class KernelLimitsTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Pattern FALLBACK_WARNING = Pattern.compile(
            "bulwark: warning: cgroup v2 cannot apply the default pids/memory limits here; using "
                    + "RLIMIT_NPROC=(\\d+) and RLIMIT_DATA=(\\d+)M \\(per process, private memory\\)");
    private static int counter;

    private static String newId(Mode mode) {
        return "it-klim-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    private static void assumePython(Mode mode) {
        mode.assumeAvailable();
        assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3 on this host (the probes are Python)");
    }

    private static Cli.Result builtInBounded(Mode mode, List<String> outerBound, String... command) {
        List<String> wrapper = new ArrayList<>(List.of("timeout", "-s", "KILL", "120"));
        wrapper.addAll(outerBound);
        return Cli.start(mode, wrapper, Containers.runDefault(mode, newId(mode), command)).await(150);
    }

    /** The fallback warning's line, when this host cannot apply the default limits in a cgroup. */
    private static Optional<Matcher> fallback(Cli.Result result) {
        return result.stderr().lines().map(FALLBACK_WARNING::matcher).filter(Matcher::matches).findFirst();
    }

    private static List<String> warnings(Cli.Result result) {
        return result.stderr().lines().filter(l -> l.startsWith("bulwark: warning:")).toList();
    }

    // --- the default limits, applied or standing in ---

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aForkBombStopsAtThePidsDefault(Mode mode) {
        assumePython(mode);
        String bomb = String.join("\n",
                "import os, time, errno",
                "n = 0",
                "try:",
                "    while n < 2500:",
                "        if os.fork() == 0:",
                "            time.sleep(20)",
                "            os._exit(0)",
                "        n += 1",
                "    print('forked', n, 'without error')",
                "except OSError as e:",
                "    print('forked', n, 'then', errno.errorcode[e.errno])");
        // Outer bound 3000 (far below pid_max): inherited by the container if its own bound were missing.
        Cli.Result result = builtInBounded(mode, List.of("prlimit", "--nproc=3000:3000", "--"), PYTHON.toString(), "-c", bomb);
        assertEquals(0, result.exitCode(), result.describe());
        Matcher forked = Pattern.compile("forked (\\d+) then EAGAIN\\n").matcher(result.stdout());
        assertTrue(forked.matches(), "the bomb must hit EAGAIN: " + result.describe());
        int children = Integer.parseInt(forked.group(1));
        // 1024 tasks: the container's init and its children (a few fewer if others of the same user count).
        assertTrue(children <= HardenedDefaults.PIDS_LIMIT - 1 && children >= HardenedDefaults.PIDS_LIMIT - 24,
                "stopped after " + children + " children: " + result.describe());
        fallback(result).ifPresent(w -> assertEquals(Long.toString(HardenedDefaults.PIDS_LIMIT), w.group(1)));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aMemoryHogStopsNearTheMemoryDefault(Mode mode) {
        assumePython(mode);
        String hog = String.join("\n",
                "chunks = []",
                "try:",
                "    while len(chunks) < 48:",
                "        chunks.append(bytearray(64 << 20))",
                "    print('allocated', 64 * len(chunks), 'MiB without error')",
                "except MemoryError:",
                "    print('allocated', 64 * len(chunks), 'MiB then MemoryError')");
        // Outer bound 4 GiB of data per process, inherited by the container if its own bound were missing.
        Cli.Result result = builtInBounded(mode, List.of("prlimit", "--data=" + (4L << 30), "--"), PYTHON.toString(), "-c", hog);
        Optional<Matcher> fallback = fallback(result);
        if (fallback.isEmpty()) {
            assertEquals(137, result.exitCode(), "cgroup v2 applies the memory default: OOM kill. " + result.describe());
            return;
        }
        assertEquals(0, result.exitCode(), result.describe());
        Matcher allocated = Pattern.compile("allocated (\\d+) MiB then MemoryError\\n").matcher(result.stdout());
        assertTrue(allocated.matches(), "the hog must be refused memory: " + result.describe());
        long mib = Long.parseLong(allocated.group(1));
        long dataLimitMib = Long.parseLong(fallback.get().group(2));
        long defaultMib = HardenedDefaults.MEMORY_LIMIT_BYTES >> 20;
        assertTrue(mib >= defaultMib - 64 && mib <= dataLimitMib,
                "allocated " + mib + " MiB; the default is " + defaultMib + " MiB, RLIMIT_DATA " + dataLimitMib + " MiB: " + result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aJvmStillRunsUnderTheFallback(Mode mode) {
        mode.assumeAvailable();
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/java")), "no /usr/bin/java on this host");
        Cli.Result result = builtInBounded(mode, List.of(), "/usr/bin/java", "-Xshare:auto", "-version");
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.errors().contains("OpenJDK"), result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theDefaultsBeingUnappliedIsOneShortWarningLine(Mode mode) {
        mode.assumeAvailable();
        Cli.Result result = builtInBounded(mode, List.of(), "/bin/true");
        assertEquals(0, result.exitCode(), result.describe());
        List<String> warnings = warnings(result);
        assertTrue(warnings.size() <= 1, "at most one warning line: " + result.describe());
        warnings.forEach(w -> {
            assertTrue(FALLBACK_WARNING.matcher(w).matches(), "the one warning says what applies instead: " + w);
            assertTrue(w.length() <= 160, "short: " + w);
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aConfigThatAsksForNoLimitsGetsNoWarningAndNoFallback(Mode mode) {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec.withLinux(spec.linux().withResources(null)),
                "/bin/sh", "-c", "ulimit -u"));
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(List.of(), warnings(result), result.describe());
            assertTrue(!result.stdout().strip().equals(Long.toString(HardenedDefaults.PIDS_LIMIT)),
                    "no RLIMIT_NPROC fallback without default limits: " + result.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }

    // --- the container user namespace's own per-user limits ---

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aContainerGetsItsOwnShareOfInotifyInstancesAndTheHostUserKeepsTheRest(Mode mode) throws Exception {
        assumePython(mode);
        String grab = String.join("\n",
                "import ctypes, time",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "fds = []",
                "while len(fds) < 200 and libc.inotify_init1(0) >= 0:",
                "    fds.append(1)",
                "print('holding', len(fds), flush=True)",
                "time.sleep(8)",
                "print('released', flush=True)");
        Cli.Running running = Cli.start(mode, Containers.runDefault(mode, newId(mode), PYTHON.toString(), "-c", grab));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!running.stdoutSoFar().contains("holding") && running.process().isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        String hostProbe = "import ctypes; print('host', ctypes.CDLL(None).inotify_init1(0) >= 0)";
        List<String> probe = new ArrayList<>();
        if (mode == Mode.ROOTLESS) {
            probe.addAll(List.of("setpriv", "--reuid=" + Mode.rootlessUid(), "--regid=" + Mode.rootlessGid(), "--clear-groups", "--"));
        }
        probe.addAll(List.of(PYTHON.toString(), "-c", hostProbe));
        Process host = new ProcessBuilder(probe).redirectErrorStream(true).start();
        String hostSaw = new String(host.getInputStream().readAllBytes()).strip();
        host.waitFor();
        String containerSoFar = running.stdoutSoFar();
        Cli.Result result = running.await(60);
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(containerSoFar.startsWith("holding ") && !containerSoFar.contains("released"),
                "the host probe ran while the container held its instances: " + containerSoFar);
        int held = Integer.parseInt(containerSoFar.lines().findFirst().orElseThrow().substring("holding ".length()));
        long limit = HardenedDefaults.USERNS_LIMITS.get("max_inotify_instances");
        assertTrue(held > 0 && held <= limit, "held " + held + ", its namespace's limit is " + limit + ": " + result.describe());
        assertEquals("host True", hostSaw, "the launching user could still create an inotify instance");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theAnnotationSetsTheNamespacesLimitsOrTurnsThemOff(Mode mode) {
        mode.assumeAvailable();
        String show = "cat /proc/sys/user/max_inotify_instances /proc/sys/user/max_user_namespaces";
        Cli.Result defaults = bundle(mode, null, show);
        assertEquals(0, defaults.exitCode(), defaults.describe());
        assertEquals(HardenedDefaults.USERNS_LIMITS.get("max_inotify_instances") + "\n"
                + HardenedDefaults.USERNS_LIMITS.get("max_user_namespaces") + "\n", defaults.stdout());

        Cli.Result custom = bundle(mode, "max_inotify_instances=7", show);
        assertEquals(0, custom.exitCode(), custom.describe());
        assertEquals("7\n" + HardenedDefaults.USERNS_LIMITS.get("max_user_namespaces") + "\n", custom.stdout(),
                "the named limit changes, the others keep their defaults");

        Cli.Result off = bundle(mode, "off", show);
        assertEquals(0, off.exitCode(), off.describe());
        assertEquals(Integer.MAX_VALUE + "\n" + Integer.MAX_VALUE + "\n", off.stdout(),
                "off: the kernel's own values for a new namespace");

        Cli.Result bad = bundle(mode, "max_inotify_instances=lots", show);
        assertEquals(125, bad.exitCode(), bad.describe());
        assertEquals("bulwark: annotations[\"dev.bulwark.userns.limits\"]: max_inotify_instances must be a whole number"
                + " from 0 to 2147483647, got \"lots\"\n", bad.errors());
    }

    /** A busybox bundle whose annotation is {@code limits} (null: absent) running {@code script}. */
    private static Cli.Result bundle(Mode mode, String limits, String script) {
        UnaryOperator<Spec> edit = spec -> {
            Map<String, String> annotations = new LinkedHashMap<>(spec.annotations());
            annotations.remove(HardenedDefaults.USERNS_LIMITS_ANNOTATION);
            if (limits != null) {
                annotations.put(HardenedDefaults.USERNS_LIMITS_ANNOTATION, limits);
            }
            Spec annotated = new Spec(spec.ociVersion(), spec.process(), spec.root(), spec.hostname(), spec.domainname(),
                    spec.mounts(), spec.hooks(), annotations, spec.linux());
            return Containers.withArgs(annotated, "/bin/sh", "-c", script);
        };
        Path bundle = Bundles.create(mode, edit);
        try {
            return Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
        } finally {
            Bundles.delete(bundle);
        }
    }
}
