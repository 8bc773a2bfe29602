package dev.bulwark.launcher.seccomp;

import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.LinuxSeccompArg;
import dev.bulwark.config.model.LinuxSyscall;
import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.SeccompAbi;
import dev.bulwark.nativ.SyscallAbi;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates {@code linux.seccomp} and turns it into a {@link SeccompPolicy}. Every error names the
 * JSON path it is about.
 */
public final class SeccompPolicyReader {
    private static final String ROOT = "linux.seccomp";

    private static final Map<String, Integer> FLAGS = Map.of(
            "SECCOMP_FILTER_FLAG_TSYNC", SeccompAbi.SECCOMP_FILTER_FLAG_TSYNC,
            "SECCOMP_FILTER_FLAG_LOG", SeccompAbi.SECCOMP_FILTER_FLAG_LOG,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SeccompAbi.SECCOMP_FILTER_FLAG_SPEC_ALLOW);
    /** Only meaningful with a notify listener, which the kernel then requires. */
    private static final String WAIT_KILLABLE_RECV = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

    private SeccompPolicyReader() {
    }

    /**
     * Reads {@code config} for a container on {@code arch}. The arch's native ABI is always
     * filtered, whether listed or not, as libseccomp (and so runc) does.
     */
    public static SeccompPolicy read(LinuxSeccomp config, Arch arch) {
        List<String> warnings = new ArrayList<>();
        SeccompAction defaultAction = action(ROOT + ".defaultAction", config.defaultAction(),
                ROOT + ".defaultErrnoRet", config.defaultErrnoRet());
        if (config.listenerPath() != null && !config.listenerPath().isEmpty()) {
            throw new InvalidSeccompConfigException(ROOT + ".listenerPath",
                    "seccomp user notification (SCMP_ACT_NOTIFY) is not supported");
        }
        List<SyscallAbi> abis = abis(config.architectures(), SyscallAbi.nativeTo(arch), warnings);
        int flags = flags(config.flags(), warnings);
        List<SyscallRule> rules = new ArrayList<>();
        for (int i = 0; i < config.syscalls().size(); i++) {
            rules.add(rule(ROOT + ".syscalls[" + i + "]", config.syscalls().get(i)));
        }
        return new SeccompPolicy(defaultAction, abis, flags, rules, warnings);
    }

    private static List<SyscallAbi> abis(List<String> names, SyscallAbi nativeAbi, List<String> warnings) {
        Set<SyscallAbi> abis = new LinkedHashSet<>();
        abis.add(nativeAbi);
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String path = ROOT + ".architectures[" + i + "]";
            if (SeccompArchitectures.supported(name).isPresent()) {
                abis.add(SeccompArchitectures.supported(name).get());
            } else if (SeccompArchitectures.knownButUnsupported(name)) {
                warnings.add(path + ": Bulwark has no syscall table for " + name
                        + "; its system calls get the bad-architecture action (kill)");
            } else {
                throw new InvalidSeccompConfigException(path, "unknown architecture \"" + name + "\"");
            }
        }
        return List.copyOf(abis);
    }

    private static int flags(List<String> names, List<String> warnings) {
        int flags = 0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String path = ROOT + ".flags[" + i + "]";
            if (WAIT_KILLABLE_RECV.equals(name)) {
                warnings.add(path + ": " + name + " ignored: it only applies to SCMP_ACT_NOTIFY listeners");
                continue;
            }
            Integer bit = FLAGS.get(name);
            if (bit == null) {
                throw new InvalidSeccompConfigException(path, "unknown or unsupported flag \"" + name + "\"");
            }
            flags |= bit;
        }
        return flags;
    }

    private static SyscallRule rule(String path, LinuxSyscall syscall) {
        if (syscall.names().isEmpty()) {
            throw new InvalidSeccompConfigException(path + ".names", "must name at least one syscall");
        }
        for (int n = 0; n < syscall.names().size(); n++) {
            String name = syscall.names().get(n);
            if (name == null || name.isEmpty()) {
                throw new InvalidSeccompConfigException(path + ".names[" + n + "]", "must not be empty");
            }
        }
        SeccompAction action = action(path + ".action", syscall.action(), path + ".errnoRet", syscall.errnoRet());
        List<ArgComparison> args = new ArrayList<>();
        for (int a = 0; a < syscall.args().size(); a++) {
            args.add(comparison(path + ".args[" + a + "]", syscall.args().get(a)));
        }
        return new SyscallRule(path, syscall.names(), action, args);
    }

    private static SeccompAction action(String path, String name, String errnoPath, Long errno) {
        if (name == null || name.isEmpty()) {
            throw new InvalidSeccompConfigException(path, "is required");
        }
        if (name.equals("SCMP_ACT_NOTIFY")) {
            throw new InvalidSeccompConfigException(path,
                    "SCMP_ACT_NOTIFY is not supported (Bulwark does not forward seccomp notifications to an agent)");
        }
        SeccompAction.Kind kind = SeccompAction.Kind.fromOciName(name)
                .orElseThrow(() -> new InvalidSeccompConfigException(path, "unknown action \"" + name + "\""));
        if (errno == null) {
            return new SeccompAction(kind, kind.takesErrno() ? SeccompAction.EPERM : 0);
        }
        if (!kind.takesErrno()) {
            throw new InvalidSeccompConfigException(errnoPath, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not " + name);
        }
        if (errno < 0 || errno > SeccompAction.MAX_ERRNO) {
            throw new InvalidSeccompConfigException(errnoPath, errno + " is outside 0.." + SeccompAction.MAX_ERRNO);
        }
        return new SeccompAction(kind, errno.intValue());
    }

    private static ArgComparison comparison(String path, LinuxSeccompArg arg) {
        if (arg.index() < 0 || arg.index() >= ArgComparison.MAX_ARGS) {
            throw new InvalidSeccompConfigException(path + ".index",
                    arg.index() + " is outside 0.." + (ArgComparison.MAX_ARGS - 1));
        }
        ArgComparison.Op op = ArgComparison.Op.fromOciName(arg.op())
                .orElseThrow(() -> new InvalidSeccompConfigException(path + ".op", "unknown operator \"" + arg.op() + "\""));
        return new ArgComparison(arg.index(), op, arg.value(), arg.valueTwo());
    }
}
