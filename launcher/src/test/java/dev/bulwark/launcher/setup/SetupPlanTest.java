package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.spawn.StepKind;
import dev.bulwark.nativ.spawn.SyscallTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The setup plan as data and as text, compiled (never run) for real configs: the layers come in the
 * order the hardening depends on, every step names the config field that asks for it, and the plan
 * is the table read back (same steps, same order, whether or not --explain's progress reports are in it).
 */
class SetupPlanTest {
    @TempDir
    Path scratch;

    /** A layer of the setup and how to recognise its steps. */
    private record Layer(String name, Predicate<PlannedStep> step) {
        static Layer field(String name, String prefix) {
            return new Layer(name, s -> s.configField().startsWith(prefix));
        }

        static Layer syscall(String name, String syscall) {
            return new Layer(name, s -> s.syscall().equals(syscall));
        }
    }

    private static final List<Layer> HARDENED_ORDER = List.of(
            Layer.field("user namespace maps (become its root)", "linux.uidMappings"),
            Layer.field("mounts", "mounts["),
            Layer.syscall("pivot_root", "pivot_root"),
            Layer.field("masks", "linux.maskedPaths["),
            Layer.field("rlimits", "process.rlimits["),
            Layer.field("capability bounding set", "process.capabilities.bounding"),
            Layer.field("no_new_privs", "process.noNewPrivileges"),
            Layer.syscall("Landlock enforced", "landlock_restrict_self"),
            Layer.syscall("capabilities set", "capset"),
            Layer.field("seccomp", "linux.seccomp"),
            Layer.syscall("execve", "execve"));

    @Test
    void theBuiltInDefaultsPlanPutsItsLayersInOrderAndNamesAFieldForEveryStep() throws IOException {
        for (boolean rootless : List.of(false, true)) {
            SetupPlan plan = plan(PlanFixtures.builtInDefault(scratch, rootless), PlanFixtures.PIPES, null);
            assertLayersInOrder(plan, HARDENED_ORDER);
            String text = plan.toText();
            for (PlannedStep step : plan.steps()) {
                assertFalse(step.configField().isBlank(), "step " + step.index() + " names no field: " + step);
                assertTrue(text.contains(step.index() + ". " + step.name() + "  [" + step.configField() + "]"),
                        "the text names step " + step.index() + " and its field");
                assertTrue(text.contains(step.call()), "the text shows the call of step " + step.index());
            }
            PlannedStep seccomp = only(plan, s -> s.syscall().equals("seccomp"));
            assertEquals(plan.steps().size() - 7, seccomp.index(), "seccomp is last before the six execve candidates");
            assertTrue(text.contains("[linux.seccomp]"));
            assertTrue(text.contains("[process.capabilities.bounding]"));
            assertTrue(text.contains("prctl(24, 21, 0, 0, 0)") || text.contains("prctl(24, "), "PR_CAPBSET_DROP appears: " + text);
        }
    }

    @Test
    void textShowsArgumentsStringsAndResultsOfEarlierSteps() throws IOException {
        SetupPlan plan = plan(PlanFixtures.builtInDefault(scratch, false), PlanFixtures.PIPES, null);
        String text = plan.toText();
        assertTrue(text.contains("mount(0, \"/\", 0, 0x44000, 0)"), "make every mount private, as a call:\n" + text);
        PlannedStep socket = only(plan, s -> s.syscall().equals("socket"));
        PlannedStep up = only(plan, s -> s.syscall().equals("ioctl"));
        assertEquals("result of #" + socket.index(), up.arguments().get(0), "ioctl takes the socket's fd");
        assertEquals("must return 1", only(plan, s -> s.name().equals("wait for the launcher")).judgement());
        assertTrue(text.contains("nothing mounted from here on propagates back to the host"), "the why is in the text");
    }

    @Test
    void ociDefaultConfigAsRootAndRootless() throws IOException {
        SetupPlan root = plan(PlanFixtures.runcDefault(scratch), PlanFixtures.PIPES, null);
        assertLayersInOrder(root, List.of(
                Layer.field("user namespace maps", "linux.namespaces"),
                Layer.field("mounts", "mounts["),
                Layer.syscall("pivot_root", "pivot_root"),
                Layer.field("masks", "linux.maskedPaths["),
                Layer.field("read-only paths", "linux.readonlyPaths["),
                Layer.field("rlimits", "process.rlimits["),
                Layer.field("bounding set", "process.capabilities.bounding"),
                Layer.field("no_new_privs", "process.noNewPrivileges"),
                Layer.syscall("capabilities set", "capset"),
                Layer.syscall("execve", "execve")));
        assertTrue(root.steps().stream().noneMatch(s -> s.syscall().startsWith("landlock_")), "the oci profile adds no Landlock");
        assertTrue(root.steps().stream().noneMatch(s -> s.syscall().equals("seccomp")), "runc's config has no linux.seccomp");
        assertTrue(root.steps().stream().noneMatch(s -> s.configField().startsWith("linux.uidMappings")),
                "runc's config as root has no user namespace: the child never becomes its root");

        SetupPlan rootless = plan(PlanFixtures.runcRootless(scratch), PlanFixtures.PIPES, null);
        assertLayersInOrder(rootless, List.of(
                Layer.field("user namespace maps", "linux.uidMappings"),
                Layer.field("mounts", "mounts["),
                Layer.syscall("pivot_root", "pivot_root"),
                Layer.syscall("execve", "execve")));
        assertTrue(rootless.steps().stream().noneMatch(s -> s.syscall().equals("setgroups")),
                "rootless, setgroups is denied: the child never calls it");
        assertTrue(rootless.steps().stream().noneMatch(s -> s.configField().equals(PlannedStep.BULWARK)),
                "rootless cannot write vm.memfd_noexec");
    }

    /**
     * Without no_new_privs the kernel takes a filter only from a holder of CAP_SYS_ADMIN: it goes in
     * before the workload's identity and capabilities, after the fds are closed and signals reset.
     */
    @Test
    void withoutNoNewPrivilegesSeccompComesBeforeTheUidChangeAndCapset() throws IOException {
        SetupPlan plan = plan(PlanFixtures.runcHardenedWithoutNoNewPrivileges(scratch), PlanFixtures.PIPES, null);
        assertTrue(plan.steps().stream().noneMatch(s -> s.configField().equals("process.noNewPrivileges")),
                "no_new_privs is not set:\n" + plan.toText());
        assertLayersInOrder(plan, List.of(
                Layer.field("capability bounding set", "process.capabilities.bounding"),
                Layer.syscall("Landlock enforced", "landlock_restrict_self"),
                Layer.syscall("inherited fds closed", "close_range"),
                Layer.syscall("signals unblocked", "rt_sigprocmask"),
                Layer.field("seccomp", "linux.seccomp"),
                Layer.field("workload's identity", "process.user"),
                Layer.syscall("capabilities set", "capset"),
                Layer.syscall("execve", "execve")));
    }

    @Test
    void aCreatedContainerWaitsForStartAfterEverySetupStepAndBeforeTheFilter() throws IOException {
        SetupPlan plan = plan(PlanFixtures.builtInDefault(scratch, false), PlanFixtures.PIPES, new ChildProgram.Detached(9, 10, 0));
        PlannedStep waits = only(plan, s -> s.name().equals("wait for start on exec.fifo"));
        PlannedStep seccomp = only(plan, s -> s.syscall().equals("seccomp"));
        PlannedStep capset = only(plan, s -> s.syscall().equals("capset"));
        assertTrue(capset.index() < waits.index() && waits.index() < seccomp.index(), plan.toText());
        assertTrue(plan.steps().stream().noneMatch(s -> s.name().equals("die with the launcher")),
                "a created container outlives create: no parent-death signal");
    }

    @Test
    void aDetachedRunTakesItsLogAsStdoutAndStderrBeforeAnythingElseIsOpened() throws IOException {
        for (PlanFixtures.Launch launch : PlanFixtures.all(scratch)) {
            SetupPlan logged = plan(launch, PlanFixtures.PIPES, new ChildProgram.Detached(9, 10, 0, new ChildProgram.Stdio(20, 21)));
            List<PlannedStep> dups = logged.steps().stream().filter(s -> s.syscall().equals("dup3")
                    && List.of("0", "1", "2").contains(s.arguments().get(1))).toList();
            assertEquals(List.of("20 0", "21 1", "21 2"), dups.stream().map(s -> s.arguments().get(0) + " " + s.arguments().get(1)).toList(),
                    launch + ":\n" + logged.toText());
            PlannedStep released = only(logged, s -> s.name().equals("close the sync pipe"));
            PlannedStep firstOpen = logged.steps().stream().filter(s -> s.syscall().startsWith("open")).findFirst().orElseThrow();
            assertTrue(released.index() < dups.get(0).index() && dups.get(2).index() < firstOpen.index(), logged.toText());

            SetupPlan inherited = plan(launch, PlanFixtures.PIPES, new ChildProgram.Detached(9, 10, 0));
            assertTrue(inherited.steps().stream().noneMatch(s -> s.name().startsWith("stdout to the log")),
                    "create keeps the caller's stdio: " + launch);
        }
    }

    @Test
    void thePlanIsTheTableReadBackWithOrWithoutProgressReports() throws IOException {
        for (PlanFixtures.Launch launch : PlanFixtures.all(scratch)) {
            for (ChildProgram.Detached detached : java.util.Arrays.asList(null, new ChildProgram.Detached(9, 10, 1))) {
                ChildSteps plain = launch.compile(PlanFixtures.PIPES, detached);
                try (SyscallTable table = plain.table()) {
                    assertEquals(table.steps(), plain.plan().steps().stream().map(PlannedStep::name).toList(), launch.name());
                }
                ChildSteps explained = launch.compile(PlanFixtures.PIPES_WITH_PROGRESS, detached);
                try (SyscallTable table = explained.table()) {
                    SetupPlan plan = explained.plan();
                    List<String> setupEntries = new ArrayList<>();
                    for (int i = 0; i < table.size(); i++) {
                        if (!table.step(i).equals("report progress")) {
                            setupEntries.add(table.step(i));
                        }
                    }
                    assertEquals(setupEntries, plan.steps().stream().map(PlannedStep::name).toList(), launch.name());
                    for (PlannedStep step : plan.steps()) {
                        assertEquals(step.kind() == StepKind.EXEC, step.syscall().equals("execve"), launch + ": " + step);
                    }
                }
            }
        }
    }

    private static SetupPlan plan(PlanFixtures.Launch launch, ChildProgram.Pipes pipes, ChildProgram.Detached detached) {
        ChildSteps steps = launch.compile(pipes, detached);
        try (SyscallTable table = steps.table()) {
            return steps.plan();
        }
    }

    /** Each layer's first step comes after the previous layer's first step; every layer is there. */
    private static void assertLayersInOrder(SetupPlan plan, List<Layer> layers) {
        int after = -1;
        String previous = "the start";
        for (Layer layer : layers) {
            int at = -1;
            for (PlannedStep step : plan.steps()) {
                if (step.index() > after && layer.step().test(step)) {
                    at = step.index();
                    break;
                }
            }
            assertTrue(at >= 0, layer.name() + " comes after " + previous + ":\n" + plan.toText());
            after = at;
            previous = layer.name();
        }
    }

    private static PlannedStep only(SetupPlan plan, Predicate<PlannedStep> which) {
        List<PlannedStep> found = plan.steps().stream().filter(which).toList();
        assertEquals(1, found.size(), "exactly one such step: " + found);
        return found.get(0);
    }
}
