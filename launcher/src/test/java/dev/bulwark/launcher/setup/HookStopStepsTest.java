package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.ContainerContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Where the child stops for the launcher's hooks: before pivot_root for prestart, createRuntime and
 * createContainer (after every mount), before execve for run's startContainer; and not at all without
 * hooks, so a launch without them has no extra sync point.
 */
class HookStopStepsTest {
    private static final ChildProgram.Pipes PIPES = new ChildProgram.Pipes(3, 4, 5, 6, -1, -1);

    @TempDir
    Path bundle;

    @Test
    void withoutHooksTheChildNeverStops() throws IOException {
        List<String> steps = compile(null);
        assertTrue(steps.stream().noneMatch(step -> step.contains("hooks")), steps.toString());
    }

    @Test
    void setupHooksStopTheChildAfterTheMountsBeforePivotRoot() throws IOException {
        List<String> steps = compile(new ChildProgram.HookStops(7, 8, 9, 10, true, false));
        int stop = steps.indexOf("stop for the prestart, createRuntime and createContainer hooks");
        int resume = steps.indexOf("wait for the prestart, createRuntime and createContainer hooks");
        int pivot = indexStartingWith(steps, "pivot_root into ");
        int lastMount = lastIndexStartingWith(steps, "mount ");
        assertTrue(lastMount < stop && stop + 1 == resume && resume < pivot,
                "after the mounts (" + lastMount + "), before pivot_root (" + pivot + "): " + stop);
        assertTrue(steps.indexOf("close the hook pipe") > resume, "the last stop closes the pipes");
        assertTrue(steps.indexOf("close the launcher's end of the hook pipes") < stop);
        assertEquals(-1, steps.indexOf("stop for the startContainer hooks"));
    }

    @Test
    void runsStartContainerHooksStopTheChildBeforeExecve() throws IOException {
        List<String> steps = compile(new ChildProgram.HookStops(7, 8, 9, 10, true, true));
        int first = steps.indexOf("wait for the prestart, createRuntime and createContainer hooks");
        int second = steps.indexOf("wait for the startContainer hooks");
        int exec = indexStartingWith(steps, "execute ");
        int closeFds = lastIndexStartingWith(steps, "close inherited fds");
        assertTrue(first >= 0 && closeFds < second && second < exec, steps.toString());
        assertEquals(-1, steps.subList(first, second).indexOf("close the hook pipe"), "kept open for the second stop");
        assertTrue(steps.indexOf("close the hook pipe") > second);
    }

    private List<String> compile(ChildProgram.HookStops stops) throws IOException {
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs")).toRealPath();
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        ContainerContext context = new ContainerContext("t", spec, bundle, rootfs, false, false, 0, 0, List.of());
        ChildSteps steps = ChildProgram.compile(context, PIPES, true, null, stops, LauncherMounts.none());
        try {
            return steps.table().steps();
        } finally {
            steps.table().close();
        }
    }

    private static int indexStartingWith(List<String> steps, String prefix) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexStartingWith(List<String> steps, String prefix) {
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (steps.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
