package dev.bulwark.launcher.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.nativ.spawn.SyscallTable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The LSM steps decide from the host facts they are given (probed once per launch), never by probing again. */
class LsmStepsTest {
    private static final LsmHost BOTH = new LsmHost(true, true);
    private static final LsmHost NONE = new LsmHost(false, false);

    private static Spec asking(String apparmorProfile, String selinuxLabel) {
        Spec base = HardenedDefaults.spec(DefaultsOptions.root());
        Process p = base.process();
        return base.withProcess(new Process(p.terminal(), p.consoleSize(), p.user(), p.args(), p.commandLine(), p.env(),
                p.cwd(), p.capabilities(), p.rlimits(), p.noNewPrivileges(), apparmorProfile, p.oomScoreAdj(),
                p.scheduler(), selinuxLabel, p.ioPriority()));
    }

    private static List<String> labelSteps(Spec spec, LsmHost host) {
        try (SyscallTable table = new SyscallTable()) {
            LsmSteps.labelExec(new ChildSteps(table, -1), spec, host);
            return table.steps();
        }
    }

    @Test
    void labelsTheExecExactlyForTheModulesTheFactsSayAreActive() {
        Spec spec = asking("bulwark-default", "system_u:system_r:container_t:s0");
        assertEquals(List.of("set AppArmor profile bulwark-default", "write /proc/thread-self/attr/apparmor/exec",
                "close /proc/thread-self/attr/apparmor/exec", "set SELinux label system_u:system_r:container_t:s0",
                "write /proc/thread-self/attr/exec", "close /proc/thread-self/attr/exec"), labelSteps(spec, BOTH));
        assertEquals(List.of(), labelSteps(spec, NONE));
        assertEquals(3, labelSteps(spec, new LsmHost(true, false)).size());
    }

    @Test
    void execLabelsThroughTheLaunchersProcfsNeverAPathInTheContainer() {
        Spec spec = asking("bulwark-default", "system_u:system_r:container_t:s0");
        try (SyscallTable table = new SyscallTable()) {
            LsmSteps.labelExec(new ChildSteps(table, -1), spec, BOTH, 45);
            for (int i : new int[] {0, 3}) {
                assertEquals(dev.bulwark.nativ.SyscallNumbers.host().require("openat"), table.entry(i).number());
                assertEquals(45, table.entry(i).argument(0), "relative to the launcher's /proc: " + table.steps());
            }
            assertEquals("write thread-self/attr/apparmor/exec", table.steps().get(1));
        }
    }

    @Test
    void aRequestTheHostCannotHonourFailsOrIsDroppedPerTheFacts() {
        Spec spec = asking("bulwark-default", null);
        LsmSteps.requireAvailable(spec, BOTH);
        var e = assertThrows(LaunchException.class, () -> LsmSteps.requireAvailable(spec, NONE));
        assertTrue(e.getMessage().startsWith("process.apparmorProfile: \"bulwark-default\" requested, but AppArmor"),
                e.getMessage());
        assertNull(LsmSteps.withoutMissing(spec, NONE).process().apparmorProfile());
        assertEquals("bulwark-default", LsmSteps.withoutMissing(spec, BOTH).process().apparmorProfile());
    }

    @Test
    void theOciProfileDropsWhatCrunRunsWithoutAndKeepsTheProcessSelinuxLabelForTheRefusal() {
        Spec asked = asking("acme", "system_u:system_r:container_t:s0");
        var l = asked.linux();
        Spec spec = asked.withLinux(new dev.bulwark.config.model.Linux(l.uidMappings(), l.gidMappings(), l.sysctl(), l.resources(),
                l.cgroupsPath(), l.namespaces(), l.devices(), l.seccomp(), l.rootfsPropagation(), l.maskedPaths(),
                l.readonlyPaths(), "system_u:object_r:container_file_t:s0", l.intelRdt(), l.personality(), l.timeOffsets()));
        Spec oci = LsmSteps.forLaunch(spec, NONE, true, false);
        assertNull(oci.process().apparmorProfile());
        assertNull(oci.linux().mountLabel());
        assertEquals("system_u:system_r:container_t:s0", oci.process().selinuxLabel(), "runc and crun fail on it: refused later");
        var e = assertThrows(LaunchException.class, () -> LsmSteps.requireAvailable(oci, NONE));
        assertTrue(e.getMessage().startsWith("process.selinuxLabel: "), e.getMessage());
        assertEquals(spec, LsmSteps.forLaunch(spec, NONE, false, false), "hardened: kept, so that the launch refuses them");
        assertEquals(spec, LsmSteps.forLaunch(spec, BOTH, true, false), "an active LSM applies them");
        Spec allowed = LsmSteps.forLaunch(spec, NONE, false, true);
        assertNull(allowed.process().selinuxLabel());
        assertNull(allowed.linux().mountLabel());
    }
}
