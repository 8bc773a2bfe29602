package dev.bulwark.config.validation;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.LinuxSeccompArg;
import dev.bulwark.config.model.LinuxSyscall;
import java.util.List;
import java.util.Set;

/** Rules for {@code linux.seccomp}, matching what libseccomp and the kernel accept. */
final class SeccompRules {
    private SeccompRules() {}

    private static final String BASE = "linux.seccomp";
    /** Largest errno (the kernel's MAX_ERRNO); larger values would read as valid return values. */
    private static final long MAX_ERRNO = 4095;
    /** SCMP_ACT_TRACE passes its value to the tracer in the 16-bit SECCOMP_RET_DATA. */
    private static final long MAX_TRACE_DATA = 0xFFFF;
    /** Syscalls take at most six arguments. */
    private static final int MAX_ARG_INDEX = 5;

    static void check(LinuxSeccomp seccomp, Problems problems) {
        String defaultAction = seccomp.defaultAction();
        if (defaultAction == null || defaultAction.isEmpty()) {
            problems.add(BASE + ".defaultAction", "required");
        } else if (!KnownNames.SECCOMP_ACTIONS.contains(defaultAction)) {
            problems.add(BASE + ".defaultAction", "unknown action \"" + defaultAction + "\"");
        } else if (defaultAction.equals("SCMP_ACT_NOTIFY")) {
            // Every syscall, including the supervisor's own plumbing, would block on the listener.
            problems.add(BASE + ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
        }
        checkErrnoRet(BASE + ".defaultErrnoRet", seccomp.defaultErrnoRet(), defaultAction, problems);
        checkNames(BASE + ".architectures", seccomp.architectures(), KnownNames.SECCOMP_ARCHITECTURES,
                "architecture", problems);
        checkNames(BASE + ".flags", seccomp.flags(), KnownNames.SECCOMP_FLAGS, "flag", problems);

        boolean notifies = false;
        for (int i = 0; i < seccomp.syscalls().size(); i++) {
            notifies |= checkRule(Problems.at(BASE + ".syscalls", i), seccomp.syscalls().get(i), problems);
        }
        boolean hasListener = seccomp.listenerPath() != null && !seccomp.listenerPath().isEmpty();
        if (notifies && !hasListener) {
            problems.add(BASE + ".listenerPath", "required when an action is SCMP_ACT_NOTIFY");
        }
        if (hasListener) {
            problems.absolutePath(BASE + ".listenerPath", seccomp.listenerPath());
        }
        if (!hasListener && seccomp.listenerMetadata() != null && !seccomp.listenerMetadata().isEmpty()) {
            problems.add(BASE + ".listenerMetadata", "requires listenerPath");
        }
    }

    /** Returns whether the rule uses SCMP_ACT_NOTIFY. */
    private static boolean checkRule(String at, LinuxSyscall rule, Problems problems) {
        if (rule.names().isEmpty()) {
            problems.add(at + ".names", "must not be empty");
        }
        for (int i = 0; i < rule.names().size(); i++) {
            if (!isSyscallName(rule.names().get(i))) {
                problems.add(Problems.at(at + ".names", i), "\"" + rule.names().get(i) + "\" is not a syscall name");
            }
        }
        String action = rule.action();
        if (action == null || action.isEmpty()) {
            problems.add(at + ".action", "required");
        } else if (!KnownNames.SECCOMP_ACTIONS.contains(action)) {
            problems.add(at + ".action", "unknown action \"" + action + "\"");
        }
        checkErrnoRet(at + ".errnoRet", rule.errnoRet(), action, problems);
        for (int i = 0; i < rule.args().size(); i++) {
            checkArg(Problems.at(at + ".args", i), rule.args().get(i), problems);
        }
        return "SCMP_ACT_NOTIFY".equals(action);
    }

    /** [a-z0-9_]+, without a regex: the default profile alone has several hundred names, checked on every launch. */
    private static boolean isSyscallName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static void checkArg(String at, LinuxSeccompArg arg, Problems problems) {
        if (arg.index() < 0 || arg.index() > MAX_ARG_INDEX) {
            problems.add(at + ".index", "must be between 0 and " + MAX_ARG_INDEX);
        }
        if (arg.op() == null) {
            problems.add(at + ".op", "required");
        } else if (!KnownNames.SECCOMP_OPERATORS.contains(arg.op())) {
            problems.add(at + ".op", "unknown operator \"" + arg.op() + "\"");
        }
    }

    private static void checkErrnoRet(String path, Long errnoRet, String action, Problems problems) {
        if (errnoRet == null) {
            return;
        }
        if (action != null && KnownNames.SECCOMP_ACTIONS.contains(action)
                && !KnownNames.SECCOMP_ACTIONS_WITH_ERRNO.contains(action)) {
            problems.add(path, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
        } else {
            problems.inRange(path, errnoRet, 0, "SCMP_ACT_TRACE".equals(action) ? MAX_TRACE_DATA : MAX_ERRNO);
        }
    }

    private static void checkNames(String path, List<String> names, Set<String> known, String what,
                                   Problems problems) {
        for (int i = 0; i < names.size(); i++) {
            if (!known.contains(names.get(i))) {
                problems.add(Problems.at(path, i), "unknown " + what + " \"" + names.get(i) + "\"");
            }
        }
    }
}
