package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.spawn.SyscallTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The narration and the plan text are the plan read for people: brief has one line per layer, full
 * collapses runs of like steps, trace is every step with its call and the command that does it by hand;
 * every line is anchored at a step, in order, so the narrator can print it when the child gets there.
 */
class NarrationTest {
    @TempDir
    Path scratch;

    private static final ChildProgram.Pipes NARRATED = new ChildProgram.Pipes(3, 4, 5, 6, 7, 8, 9, 10);

    private static SetupPlan plan(PlanFixtures.Launch launch, ChildProgram.Pipes pipes) {
        ChildSteps steps = launch.compile(pipes, null);
        try (SyscallTable table = steps.table()) {
            return steps.plan();
        }
    }

    @Test
    void briefIsOneLinePerLayerInTheOrderTheChildReachesThem() throws IOException {
        PlanFixtures.Launch launch = PlanFixtures.builtInDefault(scratch, false);
        SetupPlan plan = plan(launch, PlanFixtures.PIPES);
        List<Narration.Line> lines = Narration.of(plan, launch.context().spec(), Narration.Detail.BRIEF);
        List<String> layers = lines.stream().map(l -> l.text().substring(0, l.text().indexOf(':'))).toList();
        assertEquals(new HashSet<>(layers).size(), layers.size(), "each layer once: " + layers);
        assertEquals(List.of("memfd", "inside the new namespaces", "hostname", "per-user kernel limits", "root filesystem",
                "masked and read-only paths", "Landlock", "process", "capabilities", "no_new_privs", "identity", "seccomp", "exec"), layers);
        assertInOrder(lines);
        assertTrue(lines.get(lines.size() - 1).text().startsWith("exec: execve sh -c id"), lines.toString());
    }

    @Test
    void fullCollapsesMasksCapabilitiesSignalsAndLandlockRules() throws IOException {
        PlanFixtures.Launch launch = PlanFixtures.builtInDefault(scratch, false);
        SetupPlan plan = plan(launch, PlanFixtures.PIPES);
        List<Narration.Line> lines = Narration.of(plan, launch.context().spec(), Narration.Detail.FULL);
        assertInOrder(lines);
        String text = String.join("\n", lines.stream().map(Narration.Line::text).toList());
        assertTrue(text.contains("mask 5 paths: /proc/interrupts, /proc/keys, /proc/timer_list, /proc/acpi, /sys/firmware"), text);
        assertTrue(text.contains("make 4 paths read-only: /proc/bus, /proc/fs, /proc/irq, /proc/sys"), text);
        assertTrue(text.matches("(?s).*drop \\d+ capabilities from the bounding set: CAP_CHOWN, .*"), text);
        assertTrue(text.contains("reset 62 signal handlers to their defaults"), text);
        assertTrue(text.matches("(?s).*Landlock: \\d+ rules: / read\\+execute, /tmp read\\+execute\\+write\\+create.*"), text);
        assertTrue(text.contains("mount proc on /proc (mounts[0])  -- "), text);
        assertTrue(lines.size() < plan.steps().size() / 3, "runs are collapsed: " + lines.size() + " lines for " + plan.steps().size() + " steps");
        assertTrue(lines.stream().allMatch(l -> l.text().contains("  -- ") || l.text().startsWith("execute ")),
                "every line says why:\n" + text);
    }

    @Test
    void traceIsThePlanTextWithByHandCommands() throws IOException {
        PlanFixtures.Launch launch = PlanFixtures.builtInDefault(scratch, true);
        SetupPlan plan = plan(launch, PlanFixtures.PIPES);
        String text = PlanText.render(plan, launch.context().spec());
        List<Narration.Line> trace = Narration.of(plan, launch.context().spec(), Narration.Detail.TRACE);
        assertEquals(text, String.join("\n", trace.stream().map(Narration.Line::text).toList()) + "\n",
                "trace prints exactly the plan's text");
        for (String byHand : List.of("by hand: mount --make-rprivate /", "by hand: mount -t proc proc /proc",
                "by hand: cd NEWROOT && pivot_root . .", "by hand: umount -l .", "by hand: mount -o remount,bind,ro /",
                "by hand: mount --bind /dev/null /proc/keys", "by hand: mount -t tmpfs -o ro,mode=0555 tmpfs /proc/acpi",
                "by hand: capsh --drop=cap_chown", "by hand: setpriv --no-new-privs", "by hand: prlimit --nofile=1024:1024",
                "by hand: hostname bulwark", "by hand: setpriv --reuid=0", "by hand: exec sh -c id", "by hand: ip link set lo up",
                "by hand: unshare --cgroup", "by hand: mount --bind /usr NEWROOT/usr")) {
            assertTrue(text.contains(byHand), byHand + " in:\n" + text);
        }
        assertEquals(text, PlanText.render(plan, launch.context().spec()), "rendering is deterministic");
    }

    @Test
    void aNarratedChildWaitsForTheNarratorAfterEverySetupStepBeforeTheFilterAndExecve() throws IOException {
        for (PlanFixtures.Launch launch : PlanFixtures.all(scratch)) {
            SetupPlan plan = plan(launch, NARRATED);
            List<PlannedStep> steps = plan.steps();
            int stop = steps.stream().filter(s -> s.name().equals(ChildProgram.NARRATOR_STOP)).findFirst().orElseThrow().index();
            assertEquals("read(9, &struct[8 bytes], 1)", steps.get(stop).call(), launch.name());
            for (PlannedStep after : steps.subList(stop + 1, steps.size())) {
                assertTrue(List.of("close", "seccomp", "execve").contains(after.syscall()), launch + ": only the filter and execve follow: " + after);
            }
            assertTrue(steps.stream().anyMatch(s -> s.call().equals("close(10)")), "the child closes the launcher's end");
            assertTrue(plan(launch, PlanFixtures.PIPES).steps().stream().noneMatch(s -> s.name().equals(ChildProgram.NARRATOR_STOP)),
                    "without narration there is no stop");
        }
    }

    private static void assertInOrder(List<Narration.Line> lines) {
        for (int i = 1; i < lines.size(); i++) {
            assertTrue(lines.get(i - 1).step() <= lines.get(i).step(), "lines in step order at " + i + ": " + lines.get(i));
        }
    }
}
