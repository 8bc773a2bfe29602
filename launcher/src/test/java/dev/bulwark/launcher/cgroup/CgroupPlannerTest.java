package dev.bulwark.launcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxPids;
import dev.bulwark.config.model.LinuxResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Placement and availability decisions. The planner only reads cgroup.controllers,
 * cgroup.subtree_control and cgroup.procs, so a directory of plain files with the kernel's
 * contents stands in for the hierarchy here; creating cgroups is tested on a real kernel in
 * {@link CgroupV2EnforcementTest}.
 */
class CgroupPlannerTest {
    private static final long SELF = 4242;
    private static final LinuxResources DEFAULTS = new LinuxResources(null, LinuxMemory.withLimit(536870912L), null,
            new LinuxPids(1024L), null, null, null, null, null);

    @TempDir
    Path root;

    private CgroupHost host(String own, List<Path> v1) {
        return new CgroupHost(root, own, v1, SELF);
    }

    private Path cgroup(String relative, String controllers, String subtree, String procs) throws IOException {
        Path dir = relative.equals("/") ? root : root.resolve(relative.substring(1));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), controllers + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), subtree + "\n");
        Files.writeString(dir.resolve("cgroup.procs"), procs);
        return dir;
    }

    @Test
    void explicitLimitsOnAHybridHostFailNamingTheControllerAndHowToDelegate() throws IOException {
        cgroup("/", "", "", "1\n");
        var host = host("/", List.of(Path.of("/sys/fs/cgroup/memory")));
        var e = assertThrows(CgroupException.class,
                () -> CgroupPlanner.plan(Optional.of(host), "c1", DEFAULTS, null, false, false));
        assertEquals("linux.resources.memory: the memory controller is not available in " + root
                + " (not in cgroup.controllers) (this host is in hybrid mode: the controllers belong to the cgroup v1"
                + " hierarchies mounted at /sys/fs/cgroup); delegate it with systemd (Delegate=memory) or enable it"
                + " in the parent's cgroup.subtree_control", e.getMessage());
    }

    @Test
    void defaultLimitsOnAHybridHostSayWhyAndMakeNoCgroup() throws Exception {
        cgroup("/", "", "", "1\n");
        var plan = CgroupPlanner.plan(Optional.of(host("/", List.of(Path.of("/sys/fs/cgroup/memory")))),
                "c1", DEFAULTS, null, false, true);
        assertEquals(Optional.empty(), plan.path());
        assertEquals(List.of(), plan.warnings());
        assertTrue(plan.defaultsNotApplied().orElseThrow().startsWith("linux.resources.memory: the memory controller"),
                plan.toString());
        assertEquals(Optional.empty(), plan.create());
    }

    @Test
    void noHierarchyAtAll() throws Exception {
        var e = assertThrows(CgroupException.class,
                () -> CgroupPlanner.plan(Optional.empty(), "c1", DEFAULTS, null, true, false));
        assertEquals("no cgroup v2 hierarchy is mounted (no cgroup2 entry in /proc/self/mountinfo)", e.getMessage());
    }

    @Test
    void rootGoesUnderBulwarkAndEnablesOnlyTheNeededControllers() throws Exception {
        cgroup("/", "cpuset cpu io memory pids", "", "1\n");
        var plan = CgroupPlanner.plan(Optional.of(host("/init.scope", List.of())), "c1", DEFAULTS, null, false, false);
        assertEquals(Optional.of(root.resolve("bulwark/c1")), plan.path());
        assertEquals(List.of("memory.max=536870912 (linux.resources.memory.limit)", "pids.max=1024 (linux.resources.pids.limit)"),
                plan.writes().stream().map(CgroupWrite::toString).toList());
    }

    @Test
    void rootEnablesANewControllerAllTheWayDownToAnExistingBulwarkCgroup() throws Exception {
        cgroup("/", "cpu io memory pids", "memory pids", "1\n");
        cgroup("/bulwark", "memory pids", "memory pids", "");
        var withCpu = new LinuxResources(null, LinuxMemory.withLimit(1L << 20), ResourceTranslatorTest.cpu(null, 50000L, null),
                null, null, null, null, null, null);
        var plan = CgroupPlanner.plan(Optional.of(host("/", List.of())), "c2", withCpu, null, false, false);
        assertEquals(Optional.of(root.resolve("bulwark/c2")), plan.path());
        assertTrue(plan.toString().contains("cpu.max=50000 100000"), plan.toString());
        assertEquals(List.of(root + "=[cpu]", root.resolve("bulwark") + "=[cpu]"), plan.enables());
    }

    @Test
    void rootlessDoesNotClimbPastTheDelegationBoundary() throws Exception {
        String own = "/user.slice/user-1000.slice/user@1000.service";
        cgroup("/user.slice/user-1000.slice", "cpu memory pids", "memory pids", "");
        cgroup(own, "memory pids", "", "");
        var withCpu = new LinuxResources(null, null, ResourceTranslatorTest.cpu(null, 50000L, null),
                null, null, null, null, null, null);
        var e = assertThrows(CgroupException.class,
                () -> CgroupPlanner.plan(Optional.of(host(own, List.of())), "c1", withCpu, null, true, false));
        assertTrue(e.getMessage().startsWith("linux.resources.cpu: the cpu controller is not available in "
                + root.resolve(own.substring(1))), e.getMessage());
    }

    @Test
    void rootlessUsesTheDelegatedCgroupAndMovesTheLauncherToALeafWhenItIsAlone() throws Exception {
        String own = "/user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope";
        cgroup("/", "cpu io memory pids", "cpu io memory pids", "");
        cgroup(own, "cpu io memory pids", "", SELF + "\n");
        var plan = CgroupPlanner.plan(Optional.of(host(own, List.of())), "c1", DEFAULTS, null, true, false);
        assertEquals(Optional.of(root.resolve(own.substring(1)).resolve("bulwark-c1")), plan.path());
        assertTrue(plan.toString().contains("bulwark-c1"));
    }

    @Test
    void rootlessWithOtherProcessesInTheCgroupExplainsTheNoInternalProcessesRule() throws Exception {
        String own = "/user.slice/user-1000.slice/session-3.scope";
        cgroup(own, "memory pids", "", SELF + "\n777\n");
        var e = assertThrows(CgroupException.class,
                () -> CgroupPlanner.plan(Optional.of(host(own, List.of())), "c1", DEFAULTS, null, true, false));
        assertTrue(e.getMessage().contains("holds other processes (PIDs [777])"), e.getMessage());
        assertTrue(e.getMessage().contains("systemd-run --user --scope -p Delegate=yes"), e.getMessage());
    }

    @Test
    void rootlessStartedFromAShellInADelegatedScopeGoesBesideTheScope() throws Exception {
        String service = "/user.slice/user-1000.slice/user@1000.service";
        String own = service + "/app.slice/run-7.scope"; // systemd-run --user --scope: the shell and bulwark share it
        cgroup("/", "cpu io memory pids", "cpu io memory pids", "");
        cgroup(service, "cpu io memory pids", "cpu io memory pids", ""); // systemd enables them for its slices
        cgroup(service + "/app.slice", "cpu io memory pids", "", "");
        cgroup(own, "cpu io memory pids", "", "777\n" + SELF + "\n");
        var plan = CgroupPlanner.plan(Optional.of(host(own, List.of())), "c1", DEFAULTS, null, true, false);
        assertEquals(Optional.of(root.resolve((service + "/app.slice/bulwark-c1").substring(1))), plan.path());
        assertTrue(plan.enables().stream().anyMatch(e -> e.contains("app.slice=")), plan.enables().toString());
    }

    @Test
    void missingControllerInTheDelegatedCgroup() throws Exception {
        String own = "/user.slice/user-1000.slice/user@1000.service";
        cgroup(own, "memory", "", "");
        var e = assertThrows(CgroupException.class,
                () -> CgroupPlanner.plan(Optional.of(host(own, List.of())), "c1", DEFAULTS, null, true, false));
        assertEquals("linux.resources.pids: the pids controller is not available in " + root.resolve(own.substring(1))
                + " (not in cgroup.controllers); delegate it with systemd (Delegate=pids) or enable it in the parent's"
                + " cgroup.subtree_control", e.getMessage());
    }

    @Test
    void cgroupsPathAbsoluteIsFromTheRootAndRelativeIsUnderTheLaunchersCgroup() throws Exception {
        var host = host("/svc", List.of());
        assertEquals("/pods/p1/c1", CgroupPlanner.targetCgroup(host, "c1", "/pods//p1/c1/", false));
        assertEquals("/svc/mine/c1", CgroupPlanner.targetCgroup(host, "c1", "mine/c1", true));
        assertEquals("/svc/bulwark-c1", CgroupPlanner.targetCgroup(host, "c1", null, true));
        assertEquals("/bulwark/c1", CgroupPlanner.targetCgroup(host, "c1", "", false));
    }

    @Test
    void aLauncherAlreadyMovedToItsLeafPlacesContainersBesideTheLeaf() throws Exception {
        var moved = host("/svc/bulwark-launcher", List.of());
        assertEquals("/svc/bulwark-c2", CgroupPlanner.targetCgroup(moved, "c2", null, true));
        assertEquals("/svc/x", CgroupPlanner.targetCgroup(moved, "c2", "x", true));
    }

    @Test
    void cgroupsPathThatEscapesOrIsSystemdStyleIsRejected() {
        var host = host("/svc", List.of());
        assertEquals("linux.cgroupsPath: \"../x\" must not contain . or .. components",
                assertThrows(CgroupException.class, () -> CgroupPlanner.targetCgroup(host, "c1", "../x", true)).getMessage());
        assertTrue(assertThrows(CgroupException.class,
                () -> CgroupPlanner.targetCgroup(host, "c1", "system.slice:bulwark:c1", false)).getMessage()
                .contains("systemd slice:prefix:name"));
        assertTrue(assertThrows(CgroupException.class,
                () -> CgroupPlanner.targetCgroup(host, "c1", "/", false)).getMessage().contains("root cgroup"));
        assertTrue(assertThrows(CgroupException.class,
                () -> CgroupPlanner.targetCgroup(host, "c1", "/svc", false)).getMessage().contains("launcher's own cgroup"));
    }

    @Test
    void anExistingCgroupIsNotReused() throws Exception {
        cgroup("/", "memory pids", "memory pids", "");
        cgroup("/bulwark/c1", "memory pids", "", "");
        var e = assertThrows(CgroupException.class,
                () -> CgroupPlanner.plan(Optional.of(host("/", List.of())), "c1", DEFAULTS, null, false, false));
        assertTrue(e.getMessage().contains(root.resolve("bulwark/c1") + " already exists"), e.getMessage());
    }

    @Test
    void badContainerIdsCannotNameACgroup() {
        assertThrows(CgroupException.class,
                () -> CgroupPlanner.plan(Optional.empty(), "../etc", DEFAULTS, null, false, false));
    }

    @Test
    void aCgroupsPathWithoutLimitsGetsItsCgroupWhereTheHierarchyCanHoldIt() throws Exception {
        cgroup("/", "", "", "");
        var host = Optional.of(host("/", List.of(Path.of("/sys/fs/cgroup/memory"))));
        var plan = CgroupPlanner.plan(host, "c1", null, "/default/c1", false, false);
        assertEquals(Optional.of(root.resolve("default/c1")), plan.path(), "a cgroup for pause, update, events");
        assertEquals(List.of(), plan.writes());
        assertEquals(List.of(), plan.enables(), "no controller is switched on");
        assertEquals(Optional.empty(), CgroupPlanner.plan(host, "c1", null, "system.slice:x:c1", false, false).path(),
                "a systemd-style path: no cgroup, no error, as before");
        cgroup("/default/c2", "", "", "");
        assertEquals(Optional.empty(), CgroupPlanner.plan(host, "c2", null, "/default/c2", false, false).path(),
                "taken already: no cgroup, no error");
    }

    @Test
    void noLimitsMeansNoCgroupAndNoWarning() throws Exception {
        var plan = CgroupPlanner.plan(Optional.empty(), "c1", null, null, false, false);
        assertEquals(Optional.empty(), plan.path());
        assertEquals(List.of(), plan.warnings());
    }
}
