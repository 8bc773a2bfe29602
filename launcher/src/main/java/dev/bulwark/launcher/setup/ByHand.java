package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * For teaching ({@code bulwark plan}, {@code run --trace}): the util-linux or shell command a student
 * could type to do what a planned step does, by hand, in a shell that is already inside the new
 * namespaces ({@code unshare --user --map-root-user --pid --fork --mount ...}). Steps that only serve
 * another (an fd opened for a mount, a filesystem context configured) have none: the command of the
 * step they serve does it all. Read from the step's name and syscall; nothing here runs anything.
 */
public final class ByHand {
    private static final Pattern MOUNT_ON = Pattern.compile("^mount (\\S+) on (\\S+)");
    private static final Pattern BIND_HOST = Pattern.compile("^bind host (\\S+)");
    private static final Pattern BIND_DEVICE = Pattern.compile("^bind device (\\S+)");
    private static final Pattern MASK_NULL = Pattern.compile("^mask (\\S+) with /dev/null");
    private static final Pattern MASK_TMPFS = Pattern.compile("^mask (\\S+) with an empty read-only tmpfs");
    private static final Pattern READ_ONLY = Pattern.compile("^make (\\S+) read-only");
    private static final Pattern RLIMIT = Pattern.compile("^set RLIMIT_(\\w+) (\\d+)/(\\d+)");
    private static final Pattern SYSCTL = Pattern.compile("^set (?:sysctl )?([a-z0-9_.]+)=(\\S+)");
    private static final Pattern DROP_CAP = Pattern.compile("^drop CAP_(\\w+) from the bounding set");
    private static final Pattern AMBIENT = Pattern.compile("^raise ambient CAP_(\\w+)");

    private ByHand() {
    }

    /** One command (or "") per step of {@code plan}, in order. */
    public static List<String> of(SetupPlan plan, Spec spec) {
        List<String> commands = new ArrayList<>();
        for (PlannedStep step : plan.steps()) {
            commands.add(of(step, spec));
        }
        return commands;
    }

    /** A write or close of a file an earlier step opened ("write /proc/sys/...", "close /etc/passwd"). */
    static boolean servesAnother(PlannedStep step) {
        return (step.syscall().equals("write") || step.syscall().equals("close"))
                && (step.name().startsWith("write /") || step.name().startsWith("close /"));
    }

    /** The command for one step, or "" when another step's command covers it. */
    public static String of(PlannedStep step, Spec spec) {
        String name = step.name();
        Matcher m;
        switch (step.syscall()) {
            case "setresuid":
                return name.startsWith("set uid ") ? "setpriv --reuid=" + name.substring(8) + " ..." : "unshare --map-root-user (uid 0 inside)";
            case "setresgid":
                return name.startsWith("set gid ") ? "setpriv --regid=" + name.substring(8) + " ..." : "unshare --map-root-user (gid 0 inside)";
            case "setgroups":
                return "setpriv --clear-groups ...";
            case "unshare":
                return name.contains("cgroup") ? "unshare --cgroup" : name.contains("user namespace") ? "unshare --user" : "unshare";
            case "setns":
                return "nsenter --" + nsOption(name) + "=PATH";
            case "ioctl":
                return name.startsWith("bring up lo") ? "ip link set lo up"
                        : name.startsWith("make the terminal the controlling") ? "setsid --ctty CMD (on a terminal)" : "";
            case "sethostname":
                return "hostname " + quote(spec.hostname());
            case "setdomainname":
                return "domainname " + quote(spec.domainname());
            case "pivot_root":
                return "cd NEWROOT && pivot_root . .";
            case "umount2":
                return "umount -l .";
            case "chdir":
            case "fchdir":
                return name.startsWith("change directory to ") && name.substring(20).startsWith("/") ? "cd " + name.substring(20) : "cd NEWROOT";
            case "mkdirat":
                return name.startsWith("create directory ") ? "mkdir " + name.substring(17) : name.contains("create directory ")
                        ? "mkdir " + name.substring(name.indexOf("create directory ") + 17) : "";
            case "symlinkat":
                return name.startsWith("create symlink ") ? "ln -s " + symlink(name.substring(15)) : "";
            case "umask":
                return "umask " + name.replace("set umask ", "");
            case "setsid":
                return "setsid ...";
            case "prlimit64":
                m = RLIMIT.matcher(name);
                return m.find() ? "prlimit --" + m.group(1).toLowerCase() + "=" + m.group(2) + ":" + m.group(3) + " ..." : "prlimit ...";
            case "capset":
                return "setpriv --inh-caps -all --ambient-caps -all ... (capsh --caps=... for other sets)";
            case "seccomp":
                return "(no util-linux tool loads a filter; bulwark seccomp show prints this one)";
            case "landlock_create_ruleset":
            case "landlock_add_rule":
                return name.startsWith("Landlock: allow ") || name.startsWith("create a Landlock")
                        ? "(no util-linux tool; Landlock is a syscall API: landlock_create_ruleset, landlock_add_rule)" : "";
            case "landlock_restrict_self":
                return "(no util-linux tool: landlock_restrict_self applies the ruleset to this process and its children)";
            case "close_range":
                return "exec 3>&- 4>&- ... (close every fd above 2)";
            case "rt_sigaction":
                return "trap - " + name.replace("reset handler of signal ", "");
            case "rt_sigprocmask":
                return "(a new process starts with the signal mask of its parent: setpriv cannot clear it)";
            case "personality":
                return "setarch ...";
            case "ioprio_set":
                return "ionice ...";
            case "sched_setattr":
                return "chrt ...";
            case "execve":
                return "exec " + String.join(" ", spec.process().args().stream().map(ByHand::quote).toList());
            case "prctl":
                return prctl(name);
            case "mount":
            case "move_mount":
            case "mount_setattr":
                return mount(name, step);
            case "openat":
                m = SYSCTL.matcher(name);
                if (m.find() && step.arguments().size() > 1 && step.arguments().get(1).startsWith("\"/proc/sys/")) {
                    return "sysctl -w " + m.group(1) + "=" + m.group(2);
                }
                return "";
            default:
                return "";
        }
    }

    private static String prctl(String name) {
        Matcher m = DROP_CAP.matcher(name);
        if (m.find()) {
            return "capsh --drop=cap_" + m.group(1).toLowerCase() + " (all at once: setpriv --bounding-set -all)";
        }
        m = AMBIENT.matcher(name);
        if (m.find()) {
            return "setpriv --ambient-caps +" + m.group(1).toLowerCase() + " ...";
        }
        if (name.equals("set no_new_privs")) {
            return "setpriv --no-new-privs ...";
        }
        if (name.equals("die with the launcher")) {
            return "setpriv --pdeathsig KILL ...";
        }
        if (name.equals("clear the ambient capabilities")) {
            return "setpriv --ambient-caps -all ...";
        }
        if (name.startsWith("keep capabilities")) {
            return "setpriv --keep-groups ... (capsh --keep=1)";
        }
        return "";
    }

    private static String mount(String name, PlannedStep step) {
        Matcher m;
        if (name.equals("make every mount private")) {
            return "mount --make-rprivate /";
        }
        if (name.equals("mount a tmpfs as the new root")) {
            return "mount -t tmpfs tmpfs NEWROOT";
        }
        if (name.equals("remount / read-only")) {
            return "mount -o remount,bind,ro /";
        }
        if (name.startsWith("set propagation of / to ")) {
            return "mount --make-" + name.substring(24) + " /";
        }
        if ((m = MASK_NULL.matcher(name)).find()) {
            return "mount --bind /dev/null " + m.group(1);
        }
        if ((m = MASK_TMPFS.matcher(name)).find()) {
            return "mount -t tmpfs -o ro,mode=0555 tmpfs " + m.group(1);
        }
        if (name.startsWith("put read-only ")) {
            String path = name.substring(14).replace(" in place", "");
            return "mount --bind " + path + " " + path + " && mount -o remount,bind,ro " + path;
        }
        if ((m = READ_ONLY.matcher(name)).find()) {
            return name.startsWith("make /proc") || name.startsWith("make /sys") ? ""
                    : "mount -o remount,bind,ro " + m.group(1);
        }
        if ((m = BIND_HOST.matcher(name)).find()) {
            return "mount --bind " + m.group(1) + " NEWROOT" + m.group(1);
        }
        if ((m = BIND_DEVICE.matcher(name)).find()) {
            return "touch " + m.group(1) + " && mount --bind " + m.group(1) + " NEWROOT" + m.group(1);
        }
        if ((m = MOUNT_ON.matcher(name)).find()) {
            String type = m.group(1);
            return type.equals("bind") ? "mount --bind SRC " + m.group(2) : "mount -t " + type + " " + type + " " + m.group(2);
        }
        if (name.startsWith("bind ")) {
            return "mount --bind " + name.substring(5).replace(" on ", " ").replaceAll(" \\(.*", "");
        }
        return "";
    }

    private static String nsOption(String name) {
        for (String type : List.of("user", "pid", "mount", "uts", "ipc", "net", "cgroup", "time")) {
            if (name.contains(type)) {
                return type;
            }
        }
        return "TYPE";
    }

    private static String symlink(String linkAndTarget) {
        int arrow = linkAndTarget.indexOf(" -> ");
        return arrow < 0 ? linkAndTarget : linkAndTarget.substring(arrow + 4).replaceAll(",.*", "") + " " + linkAndTarget.substring(0, arrow);
    }

    /** A word as a shell would need it. */
    static String quote(String word) {
        if (word == null) {
            return "''";
        }
        return word.matches("[A-Za-z0-9_./:=@%+,-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
