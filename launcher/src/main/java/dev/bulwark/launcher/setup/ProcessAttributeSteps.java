package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxIOPriority;
import dev.bulwark.config.model.LinuxPersonality;
import dev.bulwark.config.model.Scheduler;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.NativeMemory;

import java.util.Map;

/**
 * Scheduling and execution attributes the workload inherits through execve: {@code linux.personality}
 * (personality(2)), {@code process.ioPriority} (ioprio_set(2)) and {@code process.scheduler}
 * (sched_setattr(2)). They run while the child still holds its capabilities (a real-time policy needs
 * CAP_SYS_NICE), before the capability drops.
 */
final class ProcessAttributeSteps {
    private static final Map<String, Long> DOMAINS = Map.of("LINUX", 0x0000L, "LINUX32", 0x0008L);
    private static final Map<String, Long> IO_CLASSES = Map.of("IOPRIO_CLASS_RT", 1L, "IOPRIO_CLASS_BE", 2L, "IOPRIO_CLASS_IDLE", 3L);
    private static final int IOPRIO_CLASS_SHIFT = 13, IOPRIO_WHO_PROCESS = 1;
    private static final Map<String, Long> POLICIES = Map.of("SCHED_OTHER", 0L, "SCHED_FIFO", 1L, "SCHED_RR", 2L,
            "SCHED_BATCH", 3L, "SCHED_IDLE", 5L, "SCHED_DEADLINE", 6L);
    private static final Map<String, Long> SCHEDULER_FLAGS = Map.of("SCHED_FLAG_RESET_ON_FORK", 0x01L,
            "SCHED_FLAG_RECLAIM", 0x02L, "SCHED_FLAG_DL_OVERRUN", 0x04L, "SCHED_FLAG_KEEP_POLICY", 0x08L,
            "SCHED_FLAG_KEEP_PARAMS", 0x10L, "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20L, "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40L);
    private static final int SCHED_ATTR_SIZE = 48; // SCHED_ATTR_SIZE_VER0: up to sched_period

    private ProcessAttributeSteps() {
    }

    static void compile(ChildSteps steps, Spec spec) {
        steps.field("linux.personality");
        personality(steps, spec.linux().personality());
        steps.field("process.ioPriority");
        ioPriority(steps, spec.process().ioPriority());
        steps.field("process.scheduler");
        scheduler(steps, spec.process().scheduler());
    }

    private static void personality(ChildSteps steps, LinuxPersonality personality) {
        if (personality == null) {
            return;
        }
        if (!personality.flags().isEmpty()) {
            throw new LaunchException("linux.personality.flags: not supported (the runtime spec defines none)");
        }
        Long domain = DOMAINS.get(personality.domain());
        if (domain == null) {
            throw new LaunchException("linux.personality.domain: unknown domain \"" + personality.domain() + "\"");
        }
        steps.step("set the execution domain " + personality.domain(), "as linux.personality asks (uname -m says i686 under LINUX32)",
                "personality", domain);
    }

    private static void ioPriority(ChildSteps steps, LinuxIOPriority priority) {
        if (priority == null) {
            return;
        }
        Long ioClass = IO_CLASSES.get(priority.ioClass());
        if (ioClass == null) {
            throw new LaunchException("process.ioPriority.class: unknown class \"" + priority.ioClass() + "\"");
        }
        long value = ioClass << IOPRIO_CLASS_SHIFT | (priority.priority() == null ? 0 : priority.priority());
        steps.step("set the I/O priority " + priority.ioClass() + " " + (value & 0x1fff), "as process.ioPriority asks",
                "ioprio_set", IOPRIO_WHO_PROCESS, 0, value);
    }

    private static void scheduler(ChildSteps steps, Scheduler scheduler) {
        if (scheduler == null) {
            return;
        }
        Long policy = POLICIES.get(scheduler.policy());
        if (policy == null) {
            throw new LaunchException("process.scheduler.policy: \"" + scheduler.policy() + "\" is not supported by this kernel");
        }
        long flags = 0;
        for (String flag : scheduler.flags()) {
            Long bit = SCHEDULER_FLAGS.get(flag);
            if (bit == null) {
                throw new LaunchException("process.scheduler.flags: unknown flag \"" + flag + "\"");
            }
            flags |= bit;
        }
        long attr = steps.memory().allocate(SCHED_ATTR_SIZE);
        NativeMemory.putInt(attr, SCHED_ATTR_SIZE);
        NativeMemory.putInt(attr + 4, policy.intValue());
        NativeMemory.putLong(attr + 8, flags);
        NativeMemory.putInt(attr + 16, scheduler.nice() == null ? 0 : scheduler.nice());
        NativeMemory.putInt(attr + 20, scheduler.priority() == null ? 0 : scheduler.priority());
        NativeMemory.putLong(attr + 24, scheduler.runtime() == null ? 0 : scheduler.runtime());
        NativeMemory.putLong(attr + 32, scheduler.deadline() == null ? 0 : scheduler.deadline());
        NativeMemory.putLong(attr + 40, scheduler.period() == null ? 0 : scheduler.period());
        steps.step("set the scheduler " + scheduler.policy(), "as process.scheduler asks", "sched_setattr", 0, attr, 0);
    }
}
