package dev.bulwark.launcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bulwark.config.model.LinuxBlockIO;
import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxPids;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.LinuxThrottleDevice;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Limits enforced by a real kernel: creates cgroups, puts child processes in them and watches the
 * kernel act. Runs only where a pure cgroup v2 hierarchy offers the controllers to this user;
 * elsewhere every test is skipped with the reason. On a hybrid host, or to test anyway, run it
 * in the VM: {@code integration-tests/vm/bulwark-vm junit -- --select-class ...} (what
 * {@code dev.bulwark.it.vm.CgroupV2InVmTest} does, as root and as an unprivileged user).
 *
 * <p>Workloads are plain {@code sh} children that wait for a line on stdin, so that they are in
 * the container's cgroup before they allocate, fork, spin or read.
 */
class CgroupV2EnforcementTest {
    /** A block device to throttle; the io test is skipped without one. */
    static final String BLOCK_DEVICE_ENV = "BULWARK_TEST_BLOCK_DEVICE";
    /** The VM's scratch disk (/dev/ubda under UML, /dev/vda under QEMU), exported by bulwark-vm --disk. */
    static final String VM_DISK_ENV = "BULWARK_VM_DISK";
    private static final long MIB = 1024 * 1024;

    private static CgroupHost host;
    private static boolean rootless;
    private final List<ContainerCgroup> created = new ArrayList<>();
    private final List<Process> children = new ArrayList<>();

    /** Why this host cannot run the tests, or null when it can; decided once, reported by every test. */
    private static String unavailable;

    @BeforeAll
    static void detectPureV2WithControllers() throws IOException {
        var detected = CgroupHost.detect();
        if (detected.isEmpty()) {
            unavailable = "no cgroup2 file system in /proc/self/mountinfo";
            return;
        }
        host = detected.get();
        if (!host.pureV2()) {
            unavailable = "the cgroup hierarchy is hybrid (cgroup v1 mounted at " + host.v1Mounts() + "); enforcement"
                    + " is tested on a pure v2 hierarchy only: run it in integration-tests/vm/bulwark-vm";
            return;
        }
        rootless = !CgroupFiles.read(Path.of("/proc/self/status")).lines()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: 0").split("\\s+")[1].equals("0");
        Path parent = rootless ? host.dirOf(host.ownCgroup()) : host.v2Root();
        Set<String> missing = new TreeSet<>(Set.of("memory", "pids", "cpu", "io"));
        missing.removeAll(CgroupFiles.readNameList(parent.resolve("cgroup.controllers")));
        if (!missing.isEmpty()) {
            unavailable = "controllers " + missing + " are not available in " + parent;
        } else if (!Files.isWritable(parent.resolve("cgroup.subtree_control"))) {
            unavailable = parent + " is not delegated to this user (cgroup.subtree_control is not writable)";
        }
    }

    @BeforeEach
    void requirePureV2WithControllers() {
        assumeTrue(unavailable == null, unavailable);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : children) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        for (ContainerCgroup cg : created) {
            if (Files.exists(cg.path())) {
                cg.kill();
                cg.remove();
            }
        }
    }

    private ContainerCgroup create(String name, LinuxResources resources) throws CgroupException {
        String id = name + "-" + ProcessHandle.current().pid();
        CgroupPlan plan = CgroupPlanner.plan(id, resources, null, rootless, false);
        ContainerCgroup cg = plan.create().orElseThrow();
        created.add(cg);
        assertTrue(Files.isDirectory(cg.path()), cg.path() + " exists");
        return cg;
    }

    /** Starts {@code sh -c script} held at a "read", moves it into the cgroup, then lets it go. */
    private Process startIn(ContainerCgroup cg, String script) throws IOException, CgroupException {
        Process p = new ProcessBuilder("sh", "-c", "read go; " + script).redirectErrorStream(true).start();
        children.add(p);
        cg.addProcess(p.pid());
        assertEquals(Set.of(p.pid()), cg.pids());
        try (OutputStream in = p.getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    private static String finish(Process p, int seconds) throws Exception {
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "workload finished within " + seconds + " s");
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private void removeAndCheckGone(ContainerCgroup cg) throws CgroupException {
        cg.remove();
        assertFalse(Files.exists(cg.path()), cg.path() + " removed");
    }

    private static LinuxResources resources(LinuxMemory m, LinuxCpu c, LinuxPids p, LinuxBlockIO io,
                                            Map<String, String> unified) {
        return new LinuxResources(null, m, c, p, io, null, null, null, unified);
    }

    @Test
    void memoryMaxOomKillsA64MiBWriterAndMemoryEventsCountsIt() throws Exception {
        var memory = new LinuxMemory(32 * MIB, null, 32 * MIB, null, null, null, null, null, null);
        ContainerCgroup cg = create("oom", resources(memory, null, null, null, null));
        assertEquals("33554432", CgroupFiles.read(cg.path().resolve("memory.max")).strip());
        // dd's 64 MiB buffer, filled from /dev/zero: anonymous memory that cannot be reclaimed without swap.
        Process p = startIn(cg, "exec dd if=/dev/zero of=/dev/null bs=64M count=1");
        String output = finish(p, 120);
        assertEquals(137, p.exitValue(), "killed by SIGKILL; output: " + output);
        assertTrue(cg.events().oomKills() >= 1, "memory.events oom_kill: " + cg.events());
        assertTrue(cg.stats().memoryCurrent().orElseThrow() <= 32 * MIB);
        removeAndCheckGone(cg);
    }

    @Test
    void pidsMaxStopsAForkLoop() throws Exception {
        ContainerCgroup cg = create("pids", resources(null, null, new LinuxPids(16L), null, null));
        // Forks until the kernel refuses; the children do not hold the output pipe open.
        Process p = startIn(cg, "while :; do sleep 30 </dev/null >/dev/null 2>&1 & done");
        for (int i = 0; i < 600 && cg.events().pidsLimitHits() == 0; i++) {
            Thread.sleep(50);
        }
        CgroupStats stats = cg.stats();
        assertTrue(stats.pidsCurrent().orElseThrow() <= 16, "pids.current " + stats.pidsCurrent());
        assertTrue(cg.events().pidsLimitHits() > 0, "pids.events max: " + cg.events());
        cg.kill();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "cgroup.kill ended the workload");
        for (int i = 0; i < 100 && !cg.pids().isEmpty(); i++) {
            Thread.sleep(20);
        }
        assertEquals(Set.of(), cg.pids());
        removeAndCheckGone(cg);
    }

    @Test
    void cpuMaxThrottlesASpinner() throws Exception {
        var cpu = new LinuxCpu(null, 10_000L, null, 100_000L, null, null, null, null, null);
        ContainerCgroup cg = create("cpu", resources(null, cpu, null, null, null));
        assertEquals("10000 100000", CgroupFiles.read(cg.path().resolve("cpu.max")).strip());
        Process p = startIn(cg, "timeout 2 sh -c 'while :; do :; done'; exit 0");
        finish(p, 60);
        Map<String, Long> stat = cg.stats().cpu();
        assertTrue(stat.get("nr_throttled") > 0, "cpu.stat: " + stat);
        // 10% of one CPU for 2 s is 0.2 s; allow for the shell's start-up and timer granularity.
        assertTrue(stat.get("usage_usec") < 700_000, "cpu.stat usage_usec: " + stat);
        removeAndCheckGone(cg);
    }

    @Test
    void ioMaxLimitsTheReadRateOfABlockDevice() throws Exception {
        String device = System.getenv(BLOCK_DEVICE_ENV) != null ? System.getenv(BLOCK_DEVICE_ENV) : System.getenv(VM_DISK_ENV);
        assumeTrue(device != null, "neither " + BLOCK_DEVICE_ENV + " nor " + VM_DISK_ENV + " is set (the VM harness sets "
                + VM_DISK_ENV + " with --disk)");
        assumeTrue(Files.isReadable(Path.of(device)), device + " is not readable by this user");
        String[] majMin = CgroupFiles.read(Path.of("/sys/class/block", Path.of(device).getFileName().toString(), "dev"))
                .strip().split(":");
        var throttle = List.of(new LinuxThrottleDevice(Long.parseLong(majMin[0]), Long.parseLong(majMin[1]), MIB));
        var io = new LinuxBlockIO(null, null, null, throttle, null, null, null);
        ContainerCgroup cg = create("io", resources(null, null, null, io, null));
        long start = System.nanoTime();
        // O_DIRECT: every block comes from the device, none from the page cache.
        Process p = startIn(cg, "dd if=" + device + " of=/dev/null bs=64k count=48 iflag=direct");
        String output = finish(p, 60);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, p.exitValue(), output);
        // 3 MiB at 1 MiB/s: the throttle lets the first slice through at once, so expect >= 2 s.
        assertTrue(seconds >= 2.0, "3 MiB read in " + seconds + " s at rbps=1MiB");
        long read = cg.stats().io().get(majMin[0] + ":" + majMin[1]).get("rbytes");
        assertEquals(3 * MIB, read, "io.stat rbytes");
        removeAndCheckGone(cg);
    }

    @Test
    void aValueTheKernelRejectsNamesTheFileAndLeavesNoCgroupBehind() throws Exception {
        String id = "bad-" + ProcessHandle.current().pid();
        CgroupPlan plan = CgroupPlanner.plan(id, resources(null, null, new LinuxPids(8L), null,
                Map.of("memory.max", "lots")), null, rootless, false);
        Path dir = plan.path().orElseThrow();
        var e = assertThrows(CgroupException.class, plan::create);
        assertEquals("linux.resources.unified[\"memory.max\"]: cannot write \"lots\" to " + dir.resolve("memory.max")
                + ": Invalid argument", e.getMessage());
        assertFalse(Files.exists(dir), dir + " rolled back");
    }

    @Test
    void statsAndFindWorkOnALiveCgroup() throws Exception {
        ContainerCgroup cg = create("stats", resources(LinuxMemory.withLimit(256 * MIB), null, new LinuxPids(32L), null, null));
        Process p = startIn(cg, "echo up; exec sleep 30");
        p.getInputStream().read();
        ContainerCgroup found = ContainerCgroup.find(cg.path()).orElseThrow();
        CgroupStats stats = found.stats();
        assertEquals(1, stats.pidsCurrent().orElseThrow());
        assertTrue(stats.memoryCurrent().orElseThrow() > 0);
        assertTrue(stats.toJson().contains("\"pidsCurrent\":1"), stats.toJson());
        found.kill();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        removeAndCheckGone(found);
        assertTrue(ContainerCgroup.find(cg.path()).isEmpty());
    }
}
