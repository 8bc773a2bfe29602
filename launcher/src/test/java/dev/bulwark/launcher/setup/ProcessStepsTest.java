package dev.bulwark.launcher.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.nativ.spawn.StepKind;
import dev.bulwark.nativ.spawn.SyscallTable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessStepsTest {
    /** A failed execve is recognised by its kind (the runtime maps it to exit 127/126), whatever the step is called. */
    @Test
    void everyExecCandidateIsMarkedAsTheWorkloadsExec() {
        Spec base = HardenedDefaults.spec(DefaultsOptions.root());
        Spec spec = base.withProcess(base.process().withArgs(List.of("sh", "-c", "true")));
        try (SyscallTable table = new SyscallTable()) {
            new ProcessSteps(new ChildSteps(table, -1), spec, List.of()).exec();
            List<String> execs = new ArrayList<>();
            for (int i = 0; i < table.size(); i++) {
                if (table.kind(i) == StepKind.EXEC) {
                    execs.add(table.step(i));
                }
            }
            assertEquals(List.of("execute /usr/local/sbin/sh", "execute /usr/local/bin/sh", "execute /usr/sbin/sh",
                    "execute /usr/bin/sh", "execute /sbin/sh", "execute /bin/sh"), execs);
            assertEquals(table.size(), execs.size(), "exec() adds only the execve candidates");
        }
    }
}
