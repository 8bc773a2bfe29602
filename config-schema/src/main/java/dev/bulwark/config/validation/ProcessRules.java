package dev.bulwark.config.validation;

import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.LinuxIOPriority;
import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Scheduler;
import dev.bulwark.config.model.User;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Rules for {@code process}. */
final class ProcessRules {
    private ProcessRules() {}

    static void check(Process process, Problems problems) {
        checkUser(process.user(), problems);
        checkArgs(process.args(), problems);
        checkEnv(process.env(), problems);
        if (process.cwd() == null || process.cwd().isEmpty()) {
            problems.add("process.cwd", "required");
        } else if (process.cwd().indexOf('\0') >= 0) {
            problems.add("process.cwd", "must not contain NUL");
        } else if (!process.cwd().startsWith("/")) {
            problems.add("process.cwd", "must be absolute");
        }
        if (process.capabilities() != null) {
            checkCapabilities(process.capabilities(), problems);
        }
        checkRlimits(process.rlimits(), problems);
        problems.inRange("process.oomScoreAdj", process.oomScoreAdj(), -1000, 1000);
        if (process.scheduler() != null) {
            checkScheduler(process.scheduler(), problems);
        }
        if (process.ioPriority() != null) {
            checkIoPriority(process.ioPriority(), problems);
        }
    }

    private static void checkUser(User user, Problems problems) {
        if (user == null) {
            problems.add("process.user", "required");
            return;
        }
        problems.uint32("process.user.uid", user.uid());
        problems.uint32("process.user.gid", user.gid());
        if (user.umask() != null && (user.umask() < 0 || user.umask() > 0777)) {
            problems.add("process.user.umask", "must be between 0 and 0777 (511)");
        }
        for (int i = 0; i < user.additionalGids().size(); i++) {
            problems.uint32(Problems.at("process.user.additionalGids", i), user.additionalGids().get(i));
        }
    }

    private static void checkArgs(List<String> args, Problems problems) {
        if (args.isEmpty()) {
            problems.add("process.args", "must not be empty");
            return;
        }
        if (args.get(0).isEmpty()) {
            problems.add("process.args[0]", "must not be empty");
        }
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).indexOf('\0') >= 0) {
                problems.add(Problems.at("process.args", i), "must not contain NUL");
            }
        }
    }

    private static void checkEnv(List<String> env, Problems problems) {
        for (int i = 0; i < env.size(); i++) {
            String entry = env.get(i);
            if (entry.indexOf('=') <= 0) {
                problems.add(Problems.at("process.env", i), "must be KEY=VALUE");
            } else if (entry.indexOf('\0') >= 0) {
                problems.add(Problems.at("process.env", i), "must not contain NUL");
            }
        }
    }

    private static void checkCapabilities(LinuxCapabilities caps, Problems problems) {
        checkCapabilitySet("bounding", caps.bounding(), problems);
        checkCapabilitySet("effective", caps.effective(), problems);
        checkCapabilitySet("inheritable", caps.inheritable(), problems);
        checkCapabilitySet("permitted", caps.permitted(), problems);
        checkCapabilitySet("ambient", caps.ambient(), problems);
        // capset(2) fails with EPERM otherwise; say so before launching. Ambient capabilities that are not also
        // permitted and inheritable are skipped by the launcher, as runc and crun do (`runc spec` lists such).
        requireSubset("effective", caps.effective(), "permitted", caps.permitted(), problems);
    }

    private static void checkCapabilitySet(String set, List<String> names, Problems problems) {
        for (int i = 0; i < names.size(); i++) {
            if (!KnownNames.CAPABILITIES.contains(names.get(i))) {
                problems.add(Problems.at("process.capabilities." + set, i),
                        "unknown capability \"" + names.get(i) + "\"");
            }
        }
    }

    private static void requireSubset(String set, List<String> names, String superSetName,
                                      List<String> superSet, Problems problems) {
        for (int i = 0; i < names.size(); i++) {
            String cap = names.get(i);
            if (KnownNames.CAPABILITIES.contains(cap) && !superSet.contains(cap)) {
                problems.add(Problems.at("process.capabilities." + set, i),
                        "\"" + cap + "\" must also be in the " + superSetName + " set");
            }
        }
    }

    private static void checkRlimits(List<PosixRlimit> rlimits, Problems problems) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < rlimits.size(); i++) {
            PosixRlimit rlimit = rlimits.get(i);
            String path = Problems.at("process.rlimits", i);
            if (rlimit.type() == null) {
                problems.add(path + ".type", "required");
            } else if (!KnownNames.RLIMITS.contains(rlimit.type())) {
                problems.add(path + ".type", "unknown rlimit \"" + rlimit.type() + "\"");
            } else if (!seen.add(rlimit.type())) {
                problems.add(path + ".type", "duplicate rlimit \"" + rlimit.type() + "\"");
            }
            if (Long.compareUnsigned(rlimit.soft(), rlimit.hard()) > 0) {
                problems.add(path + ".soft", "must not exceed hard ("
                        + Long.toUnsignedString(rlimit.soft()) + " > " + Long.toUnsignedString(rlimit.hard()) + ")");
            }
        }
    }

    private static void checkScheduler(Scheduler scheduler, Problems problems) {
        String policy = scheduler.policy();
        if (policy == null) {
            problems.add("process.scheduler.policy", "required");
        } else if (!KnownNames.SCHEDULER_POLICIES.contains(policy)) {
            problems.add("process.scheduler.policy", "unknown policy \"" + policy + "\"");
        }
        problems.inRange("process.scheduler.nice", scheduler.nice(), -20, 19);
        boolean realtime = "SCHED_FIFO".equals(policy) || "SCHED_RR".equals(policy);
        if (realtime) {
            problems.inRange("process.scheduler.priority", scheduler.priority(), 1, 99);
        } else if (scheduler.priority() != null && scheduler.priority() != 0) {
            problems.add("process.scheduler.priority", "must be 0 unless the policy is SCHED_FIFO or SCHED_RR");
        }
        for (int i = 0; i < scheduler.flags().size(); i++) {
            if (!KnownNames.SCHEDULER_FLAGS.contains(scheduler.flags().get(i))) {
                problems.add(Problems.at("process.scheduler.flags", i),
                        "unknown flag \"" + scheduler.flags().get(i) + "\"");
            }
        }
        if ("SCHED_DEADLINE".equals(policy)) {
            // sched_setattr(2): runtime <= deadline <= period (a zero period means "= deadline").
            long runtime = orZero(scheduler.runtime());
            long deadline = orZero(scheduler.deadline());
            long period = orZero(scheduler.period());
            if (runtime <= 0 || deadline <= 0) {
                problems.add("process.scheduler", "SCHED_DEADLINE requires positive runtime and deadline");
            } else if (runtime > deadline || (period != 0 && deadline > period)) {
                problems.add("process.scheduler", "SCHED_DEADLINE requires runtime <= deadline <= period");
            }
        }
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }

    private static void checkIoPriority(LinuxIOPriority io, Problems problems) {
        if (io.ioClass() == null) {
            problems.add("process.ioPriority.class", "required");
        } else if (!KnownNames.IO_PRIORITY_CLASSES.contains(io.ioClass())) {
            problems.add("process.ioPriority.class", "unknown class \"" + io.ioClass() + "\"");
        }
        problems.inRange("process.ioPriority.priority", io.priority(), 0, 7);
    }
}
