package dev.bulwark.launcher.plan;

import dev.bulwark.launcher.LaunchException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * OCI mount options split the way mount(2) wants them: flags, propagation changes (applied by
 * separate calls), and the filesystem-specific data string. Follows runc's option table.
 *
 * @param flags        MS_* flags for the mount call (MS_BIND and MS_REC included for bind/rbind)
 * @param clearedFlags flags explicitly turned off ("rw", "suid", ...): they must not be carried over
 * @param propagation  MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (with MS_REC) calls, in order
 * @param data         comma-joined options the kernel passes to the filesystem, e.g. "mode=755,size=65536k"
 */
public record MountOptions(long flags, long clearedFlags, List<Long> propagation, String data) {
    private record Flag(boolean clear, long value) {
    }

    private static final Map<String, Flag> FLAGS = Map.ofEntries(
            Map.entry("ro", new Flag(false, MS_RDONLY)), Map.entry("rw", new Flag(true, MS_RDONLY)),
            Map.entry("nosuid", new Flag(false, MS_NOSUID)), Map.entry("suid", new Flag(true, MS_NOSUID)),
            Map.entry("nodev", new Flag(false, MS_NODEV)), Map.entry("dev", new Flag(true, MS_NODEV)),
            Map.entry("noexec", new Flag(false, MS_NOEXEC)), Map.entry("exec", new Flag(true, MS_NOEXEC)),
            Map.entry("sync", new Flag(false, MS_SYNCHRONOUS)), Map.entry("async", new Flag(true, MS_SYNCHRONOUS)),
            Map.entry("dirsync", new Flag(false, MS_DIRSYNC)),
            Map.entry("remount", new Flag(false, MS_REMOUNT)),
            Map.entry("mand", new Flag(false, MS_MANDLOCK)), Map.entry("nomand", new Flag(true, MS_MANDLOCK)),
            Map.entry("atime", new Flag(true, MS_NOATIME)), Map.entry("noatime", new Flag(false, MS_NOATIME)),
            Map.entry("diratime", new Flag(true, MS_NODIRATIME)), Map.entry("nodiratime", new Flag(false, MS_NODIRATIME)),
            Map.entry("relatime", new Flag(false, MS_RELATIME)), Map.entry("norelatime", new Flag(true, MS_RELATIME)),
            Map.entry("strictatime", new Flag(false, MS_STRICTATIME)), Map.entry("nostrictatime", new Flag(true, MS_STRICTATIME)),
            Map.entry("nosymfollow", new Flag(false, MS_NOSYMFOLLOW)), Map.entry("symfollow", new Flag(true, MS_NOSYMFOLLOW)),
            Map.entry("bind", new Flag(false, MS_BIND)), Map.entry("rbind", new Flag(false, MS_BIND | MS_REC)));

    private static final Map<String, Long> PROPAGATION = Map.of(
            "private", MS_PRIVATE, "rprivate", MS_PRIVATE | MS_REC,
            "shared", MS_SHARED, "rshared", MS_SHARED | MS_REC,
            "slave", MS_SLAVE, "rslave", MS_SLAVE | MS_REC,
            "unbindable", MS_UNBINDABLE, "runbindable", MS_UNBINDABLE | MS_REC);

    /** Parses {@code options}; {@code field} names them in errors ("mounts[2].options"). */
    public static MountOptions parse(List<String> options, String field) {
        long flags = 0;
        long cleared = 0;
        List<Long> propagation = new ArrayList<>();
        List<String> data = new ArrayList<>();
        for (int i = 0; i < options.size(); i++) {
            String option = options.get(i);
            Flag flag = FLAGS.get(option);
            if (flag != null) {
                if (flag.clear) {
                    flags &= ~flag.value;
                    cleared |= flag.value;
                } else {
                    flags |= flag.value;
                    cleared &= ~flag.value;
                }
            } else if (PROPAGATION.containsKey(option)) {
                propagation.add(PROPAGATION.get(option));
            } else if (option.equals("tmpcopyup")) {
                continue; // a tmpfs's copy of the image's directory: RootfsSteps checks there is nothing to copy
            } else if (option.startsWith("idmap") || option.startsWith("rro")
                    || option.startsWith("rrw") || option.startsWith("rnosuid") || option.startsWith("rnodev")
                    || option.startsWith("rnoexec")) {
                throw new LaunchException(field + "[" + i + "]: option \"" + option + "\" is not supported by Bulwark");
            } else if (option.isEmpty() || option.contains(",")) {
                throw new LaunchException(field + "[" + i + "]: must be a single non-empty option");
            } else {
                data.add(option);
            }
        }
        return new MountOptions(flags, cleared, List.copyOf(propagation), String.join(",", data));
    }

    public boolean isBind() {
        return (flags & MS_BIND) != 0;
    }

    public boolean isRecursiveBind() {
        return (flags & (MS_BIND | MS_REC)) == (MS_BIND | MS_REC);
    }

    /** Flags a bind mount only gets through a second, remount call (mount(2) ignores them with MS_BIND). */
    public long remountFlags() {
        return flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    }
}
