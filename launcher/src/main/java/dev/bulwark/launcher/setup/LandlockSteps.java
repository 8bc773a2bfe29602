package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.HostPaths;
import dev.bulwark.launcher.plan.MountOptions;
import dev.bulwark.nativ.Kernel;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallNumbers;
import dev.bulwark.nativ.constants.MountApi;
import dev.bulwark.nativ.constants.MountFlags;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where Landlock restricts the container's filesystem access: a Bulwark extension no peer runtime has.
 *
 * <p>Configured by the annotation {@value #ANNOTATION}: {@code "off"} (an explicit loosening), or
 * rules {@code PATH=RIGHTS;PATH=RIGHTS...} where RIGHTS are letters: {@code r} read files and list
 * directories, {@code x} execute, {@code w} write, create, remove, rename and truncate, {@code d} ioctl
 * on device files. Paths are container paths; a rule covers everything beneath its path. Every
 * filesystem right the kernel's ABI knows is handled, so what no rule grants is denied (EACCES).
 * Without the annotation, a config that runs hardened (annotation {@code dev.bulwark.profile: hardened}: the
 * built-in default, {@code bulwark spec}, the hardened profile) gets the {@link #defaultRules default rule set}, and
 * any other config none, as under runc.
 *
 * <p>In the child: landlock_create_ruleset, open each path O_PATH (after pivot_root, so container
 * paths), landlock_add_rule, then landlock_restrict_self after no_new_privs (the kernel requires
 * no_new_privs or CAP_SYS_ADMIN) and while the child is still root, before the uid change.
 * On ABI 6 and later the domain is also scoped: no signals to processes outside it, no connecting
 * to abstract unix sockets outside it.
 */
final class LandlockSteps {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    static final String ANNOTATION = "dev.bulwark.landlock";
    /** The config field of these steps. */
    static final String FIELD = "annotations[\"" + ANNOTATION + "\"]";

    static final long EXECUTE = 1, WRITE_FILE = 2, READ_FILE = 4, READ_DIR = 8, REMOVE_DIR = 16, REMOVE_FILE = 32,
            MAKE_CHAR = 64, MAKE_DIR = 128, MAKE_REG = 256, MAKE_SOCK = 512, MAKE_FIFO = 1024, MAKE_BLOCK = 2048,
            MAKE_SYM = 4096, REFER = 8192, TRUNCATE = 16384, IOCTL_DEV = 32768;
    static final long SCOPE_ABSTRACT_UNIX_SOCKET = 1, SCOPE_SIGNAL = 2;
    private static final int LANDLOCK_RULE_PATH_BENEATH = 1;
    private static final int LANDLOCK_CREATE_RULESET_VERSION = 1;

    private final ChildSteps steps;
    private final ContainerContext context;
    private final Map<String, Long> rules;
    private final boolean defaults;
    private final int abi;
    /** The scopes the domain gets on ABI 6 and later (both unless {@link #withoutScopes}). */
    private final long scopes;

    private LandlockSteps(ChildSteps steps, ContainerContext context, Map<String, Long> rules, boolean defaults, int abi) {
        this(steps, context, rules, defaults, abi, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL);
    }

    private LandlockSteps(ChildSteps steps, ContainerContext context, Map<String, Long> rules, boolean defaults, int abi,
                          long scopes) {
        this.steps = steps;
        this.context = context;
        this.rules = rules;
        this.defaults = defaults;
        this.abi = abi;
        this.scopes = scopes;
    }

    /**
     * The same rules with {@code dropped} scopes left out: an exec'd process gets a domain of its own, a sibling
     * of the init's, so a scope would cut it off from the container's own processes (no signal to pid 1, no
     * connection to the init's abstract sockets); {@link ExecProgram} drops a scope only where a joined
     * namespace (pid, net) already confines the same thing.
     */
    LandlockSteps withoutScopes(long dropped) {
        return new LandlockSteps(steps, context, rules, defaults, abi, scopes & ~dropped);
    }

    /** The Landlock steps for {@code spec}, or null when the annotation turns Landlock off (or the kernel lacks it for the defaults). */
    static LandlockSteps forSpec(ChildSteps steps, ContainerContext context) {
        Spec spec = context.spec();
        String value = spec.annotations().get(ANNOTATION);
        if (value != null && value.strip().equals("off")) {
            return null;
        }
        if (value == null && !"hardened".equals(spec.annotations().get(HardenedDefaults.PROFILE_ANNOTATION))) {
            return null; // the oci profile: a config that asks for no Landlock gets none, as under runc
        }
        int abi = hostAbi();
        if (abi < 1) {
            if (value != null) {
                throw new LaunchException("annotations[\"" + ANNOTATION + "\"]: this kernel has no Landlock; set it to \"off\" to run without");
            }
            LOG.log(System.Logger.Level.WARNING, "this kernel has no Landlock; the default filesystem rules are not applied");
            return null;
        }
        if (value == null) {
            Map<String, Long> rules = defaultRules(spec);
            rules.keySet().removeIf(path -> !willExist(context, path));
            return new LandlockSteps(steps, context, rules, true, abi);
        }
        return new LandlockSteps(steps, context, parse(value), false, abi);
    }

    /** Whether a default rule's path is there after pivot_root: a mount, a default device, or in the bundle's rootfs. */
    /** Rights that apply to a file (the kernel refuses directory rights on a non-directory with EINVAL). */
    static final long FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;

    /** Whether a rule's path is a file rather than a directory, as far as can be known before the child runs. */
    private boolean isFile(String path) {
        if (RootfsSteps.DEFAULT_DEVICES.contains(path) || listedDevices(context.spec()).contains(path)) {
            return true;
        }
        Boolean mounted = null; // the last mount on a path is what the rule sees
        for (Mount mount : context.spec().mounts()) {
            if (path.equals(mount.destination())) {
                mounted = mountsFile(mount);
            }
        }
        if (mounted != null) {
            return mounted;
        }
        String field = "annotations[\"" + ANNOTATION + "\"]";
        java.nio.file.Path where = context.hostUsrRoot() ? HostPaths.of(path, field)
                : HostPaths.resolve(context.rootfs(), path.substring(1), field);
        return Files.exists(where) && !Files.isDirectory(where);
    }

    /** Whether {@code mount} puts a file (not a directory) on its destination; null when its source is not an absolute host path. */
    private static Boolean mountsFile(Mount mount) {
        boolean bind = "bind".equals(mount.type()) || mount.options().contains("bind") || mount.options().contains("rbind");
        if (!bind) {
            return false; // a filesystem's root is a directory
        }
        if (mount.source() == null || !mount.source().startsWith("/")) {
            return null;
        }
        java.nio.file.Path source = java.nio.file.Path.of(mount.source());
        return Files.exists(source) && !Files.isDirectory(source);
    }

    private static boolean willExist(ContainerContext context, String path) {
        if (path.equals("/") || path.equals("/tmp") && context.hostUsrRoot() || RootfsSteps.DEFAULT_DEVICES.contains(path)
                || listedDevices(context.spec()).contains(path)
                || context.spec().mounts().stream().anyMatch(m -> path.equals(m.destination()))) {
            return true;
        }
        return !context.hostUsrRoot()
                && Files.exists(HostPaths.resolve(context.rootfs(), path.substring(1), "annotations[\"" + ANNOTATION + "\"]"));
    }

    /** The kernel's Landlock ABI version, or 0 without Landlock. */
    static int hostAbi() {
        long result = Kernel.raw(SyscallNumbers.host().require("landlock_create_ruleset"), 0, 0,
                LANDLOCK_CREATE_RULESET_VERSION, 0, 0);
        return result < 0 ? 0 : (int) result;
    }

    /**
     * The zero-config rules: read and execute everywhere, write only where a container is expected to
     * write (/tmp, /dev/shm, /dev/mqueue, /proc/self, and every bind or tmpfs mount the config adds
     * without ro: asking for a writable mount is asking to write there), device ioctls only on
     * terminals. A writable root (root.readonly false) gets write rights on / too; creating device
     * nodes is never allowed.
     */
    static Map<String, Long> defaultRules(Spec spec) {
        Map<String, Long> rules = new LinkedHashMap<>();
        long read = READ_FILE | READ_DIR | EXECUTE;
        boolean writableRoot = spec.root() != null && Boolean.FALSE.equals(spec.root().readonly());
        rules.put("/", writableRoot ? read | write() : read);
        rules.put("/tmp", read | write());
        rules.put("/dev/shm", read | write());
        rules.put("/dev/mqueue", read | write());
        rules.put("/dev/pts", read | WRITE_FILE | IOCTL_DEV);
        for (String device : RootfsSteps.DEFAULT_DEVICES) {
            rules.put(device, READ_FILE | WRITE_FILE | (device.equals("/dev/tty") ? IOCTL_DEV : 0));
        }
        rules.put("/proc", read | WRITE_FILE); // /proc/self/* (oom_score_adj, comm); /proc/sys stays a read-only mount
        for (String device : listedDevices(spec)) { // the config lists them to be used (a /dev/fuse): read, write, ioctl
            rules.putIfAbsent(device, READ_FILE | WRITE_FILE | IOCTL_DEV);
        }
        for (Mount mount : spec.mounts()) {
            if (isWritableDataMount(mount)) {
                rules.merge(mount.destination(), read | write(), (a, b) -> a | b); // a file bind gets FILE_RIGHTS of it
            }
        }
        return rules;
    }

    /** The container paths of linux.devices. */
    private static java.util.List<String> listedDevices(Spec spec) {
        return spec.linux() == null ? java.util.List.of()
                : spec.linux().devices().stream().map(dev.bulwark.config.model.LinuxDevice::path).toList();
    }

    /**
     * Whether the default rules let the container write beneath {@code mount}: a bind or a tmpfs mounted
     * without {@code ro}. Asking for a writable mount is asking to write there; /dev's tmpfs is excluded
     * (it holds the device nodes, whose own rules stay as they are), and so is every other kind of
     * filesystem (proc, sysfs, cgroup, devpts, mqueue have their own rules or none).
     */
    static boolean isWritableDataMount(Mount mount) {
        String type = mount.type() == null ? "" : mount.type();
        MountOptions options;
        try {
            options = MountOptions.parse(mount.options(), "mounts");
        } catch (LaunchException e) {
            return false; // the mount step names the bad option
        }
        boolean bind = type.equals("bind") || options.isBind();
        boolean tmpfs = type.equals("tmpfs") && !"/dev".equals(mount.destination());
        return (bind || tmpfs) && (options.flags() & MountFlags.MS_RDONLY) == 0 && mount.destination() != null
                && mount.destination().startsWith("/");
    }

    private static long write() {
        return WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO | MAKE_SYM | REFER
                | TRUNCATE;
    }

    static Map<String, Long> parse(String value) {
        String field = "annotations[\"" + ANNOTATION + "\"]";
        Map<String, Long> rules = new LinkedHashMap<>();
        for (String rule : value.split(";")) {
            if (rule.isBlank()) {
                continue;
            }
            int eq = rule.lastIndexOf('=');
            String path = eq < 0 ? "" : rule.substring(0, eq).strip();
            if (eq < 0 || !path.startsWith("/")) {
                throw new LaunchException(field + ": rule \"" + rule.strip() + "\" is not ABSOLUTE_PATH=RIGHTS");
            }
            long rights = 0;
            for (char c : rule.substring(eq + 1).strip().toCharArray()) {
                rights |= switch (c) {
                    case 'r' -> READ_FILE | READ_DIR;
                    case 'x' -> EXECUTE;
                    case 'w' -> write();
                    case 'd' -> IOCTL_DEV;
                    default -> throw new LaunchException(field + ": rule \"" + rule.strip() + "\": unknown right '" + c
                            + "' (r read, w write, x execute, d device ioctl)");
                };
            }
            rules.merge(path, rights, (a, b) -> a | b);
        }
        if (rules.isEmpty()) {
            throw new LaunchException(field + ": no rules; use \"off\" to disable Landlock");
        }
        return rules;
    }

    private long handledFs() {
        long all = (MAKE_SYM << 1) - 1; // ABI 1
        if (abi >= 2) {
            all |= REFER;
        }
        if (abi >= 3) {
            all |= TRUNCATE;
        }
        if (abi >= 5) {
            all |= IOCTL_DEV;
        }
        return all;
    }

    /**
     * Creates the ruleset and adds one rule per path; run after pivot_root, so paths are the
     * container's. The rule struct must hold the path's fd, which is only known at run time, so each
     * opened fd is moved with dup3 to {@code scratchFd}, a number fixed now and written into the struct
     * (each dup3 replaces the previous rule's fd there; the last one is closed after the loop).
     *
     * @param scratchFd an fd number no step still needs (an inherited launcher fd there is simply closed)
     * @return the ruleset's entry, for {@link #restrict}
     */
    Entry buildRuleset(int scratchFd) {
        NativeMemory memory = steps.memory();
        long attrSize = abi >= 6 ? 24 : 16;
        long attr = memory.allocate(24); // handled_access_fs, handled_access_net, scoped
        NativeMemory.putLong(attr, handledFs());
        NativeMemory.putLong(attr + 8, 0);
        NativeMemory.putLong(attr + 16, abi >= 6 ? scopes : 0);
        Entry ruleset = steps.step("create a Landlock ruleset (ABI " + abi + (defaults ? ", default rules" : "") + ")",
                "filesystem access will be limited to the listed paths and rights", "landlock_create_ruleset",
                attr, attrSize, 0);
        // Paths resolve as the mounts' destinations did (InRootPaths): inside the root, no magic links
        Entry root = steps.step("Landlock: open the container's root", "rule paths resolve from it",
                "openat", OpenFlags.AT_FDCWD, steps.string("/"), OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        for (Map.Entry<String, Long> rule : rules.entrySet()) {
            String path = rule.getKey();
            long rights = rule.getValue() & handledFs() & (isFile(path) ? FILE_RIGHTS : -1L);
            Entry mountRoot = steps.mountRoot(path);
            if (mountRoot != null) { // the mount's own fd: the rule covers what was mounted there, whatever the path is now
                steps.step("Landlock: the fd of the mount at " + path + " to " + scratchFd, "the rule's struct holds a fixed fd number",
                        "dup3", 0, scratchFd, OpenFlags.O_CLOEXEC).argumentFrom(0, mountRoot);
            } else {
                Entry open = steps.step("Landlock: open " + path, "a rule names its file by an open descriptor, resolved inside the root",
                        "openat2", 0, steps.string(path), HostPathFds.openHow(steps, 0, MountApi.RESOLVE_IN_ROOT | MountApi.RESOLVE_NO_MAGICLINKS),
                        MountApi.OPEN_HOW_SIZE).argumentFrom(0, root);
                steps.step("Landlock: move the fd of " + path + " to " + scratchFd, "the rule's struct holds a fixed fd number",
                        "dup3", 0, scratchFd, OpenFlags.O_CLOEXEC).argumentFrom(0, open);
                steps.step("Landlock: close the first fd of " + path, "done with it", "close", 0).argumentFrom(0, open);
            }
            long beneath = memory.allocate(16); // packed struct landlock_path_beneath_attr {u64 allowed_access; s32 parent_fd}
            NativeMemory.putLong(beneath, rights);
            NativeMemory.putInt(beneath + 8, scratchFd);
            steps.step("Landlock: allow " + describe(rights) + " beneath " + path, "what the container may do there",
                    "landlock_add_rule", 0, LANDLOCK_RULE_PATH_BENEATH, beneath, 0).argumentFrom(0, ruleset);
            // No close of scratchFd here: the next rule's dup3 replaces it (dup3 closes what the number held, an O_PATH
            // fd of this path), and the step after the loop closes the last one. One syscall fewer per rule.
        }
        if (!rules.isEmpty()) {
            steps.step("Landlock: close " + scratchFd + " (the last rule's path)", "done with it", "close", scratchFd);
        }
        steps.step("Landlock: close the container's root", "done with it", "close", 0).argumentFrom(0, root);
        return ruleset;
    }

    /** landlock_restrict_self: from here on this process and the workload are confined. Needs no_new_privs or CAP_SYS_ADMIN. */
    void restrict(Entry ruleset) {
        steps.step("enforce the Landlock ruleset", "the workload can reach only the listed paths with the listed rights",
                "landlock_restrict_self", 0, 0).argumentFrom(0, ruleset);
        steps.step("close the Landlock ruleset", "enforced; the fd is no longer needed", "close", 0).argumentFrom(0, ruleset);
    }

    static String describe(long rights) {
        List<String> parts = new ArrayList<>();
        if ((rights & READ_FILE) != 0) parts.add("read");
        if ((rights & EXECUTE) != 0) parts.add("execute");
        if ((rights & WRITE_FILE) != 0) parts.add("write");
        if ((rights & MAKE_REG) != 0) parts.add("create");
        if ((rights & IOCTL_DEV) != 0) parts.add("ioctl");
        return String.join("+", parts);
    }
}
