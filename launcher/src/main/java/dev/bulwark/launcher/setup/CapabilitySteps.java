package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.constants.Capability;
import dev.bulwark.nativ.constants.Prctl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where capabilities are dropped. Runs while the child is still root of its user namespace (it needs
 * CAP_SETPCAP for the bounding set), around the switch to the workload's uid:
 * bounding set first, keep-caps across a non-root setresuid, then capset of effective, permitted and
 * inheritable, then the ambient set. Absent {@code process.capabilities} means no capabilities at all.
 *
 * <p>As with runc, a workload running as uid 0 regains its bounding set on execve (the kernel's
 * root semantics); Bulwark's default bounding set is empty, so root in the container holds nothing.
 */
final class CapabilitySteps {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private final ChildSteps steps;
    private final CapabilitySet bounding;
    private final CapabilitySet effective;
    private final CapabilitySet permitted;
    private final CapabilitySet inheritable;
    private final CapabilitySet ambient;
    private final int lastCap;

    CapabilitySteps(ChildSteps steps, LinuxCapabilities capabilities) {
        this.steps = steps;
        LinuxCapabilities caps = capabilities == null ? LinuxCapabilities.none() : capabilities;
        this.bounding = CapabilitySet.of(caps.bounding(), "process.capabilities.bounding");
        this.effective = CapabilitySet.of(caps.effective(), "process.capabilities.effective");
        this.permitted = CapabilitySet.of(caps.permitted(), "process.capabilities.permitted");
        this.inheritable = CapabilitySet.of(caps.inheritable(), "process.capabilities.inheritable");
        this.ambient = CapabilitySet.of(caps.ambient(), "process.capabilities.ambient");
        this.lastCap = readLastCap();
    }

    /**
     * Without a user namespace the child holds only the launcher's own capabilities, and capset cannot
     * grant one it lacks (EPERM). On a host whose bounding set withholds a capability even from root (this
     * one lacks CAP_SYS_RESOURCE) runc and crun fail such a config too ("unable to apply caps", "capset");
     * Bulwark refuses it before anything is made, in one line naming the set and the capabilities.
     * A bounding set listing it is fine: the bounding set is only ever cut.
     *
     * @param launcherPermitted the capabilities this launcher holds (from {@link #launcherPermitted()})
     */
    void requireHeldByLauncher(Set<Integer> launcherPermitted) {
        List<String> problems = new java.util.ArrayList<>();
        for (var set : java.util.Map.of("effective", effective, "permitted", permitted, "inheritable", inheritable,
                "ambient", ambient).entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).toList()) {
            List<String> missing = set.getValue().numbers().stream().sorted().filter(cap -> !launcherPermitted.contains(cap))
                    .map(Capability::name).toList();
            if (!missing.isEmpty()) {
                problems.add("process.capabilities." + set.getKey() + ": " + String.join(",", missing));
            }
        }
        if (!problems.isEmpty()) {
            throw new LaunchException(String.join("; ", problems) + ": not held by this launcher (the host's bounding set"
                    + " withholds them even from root), and without a user namespace the container cannot get them;"
                    + " remove them from the config (runc and crun fail here too)");
        }
    }

    /** The capabilities this process holds in its permitted set (CapPrm of /proc/self/status). */
    static Set<Integer> launcherPermitted() {
        String status;
        try {
            status = Files.readString(Path.of("/proc/self/status"));
        } catch (IOException e) {
            throw new LaunchException("reading /proc/self/status: " + e.getMessage(), e);
        }
        long mask = status.lines().filter(l -> l.startsWith("CapPrm:")).findFirst()
                .map(l -> Long.parseUnsignedLong(l.substring("CapPrm:".length()).strip(), 16))
                .orElseThrow(() -> new LaunchException("/proc/self/status: no CapPrm line"));
        Set<Integer> held = new TreeSet<>();
        for (int cap = 0; cap < 64; cap++) {
            if ((mask & (1L << cap)) != 0) {
                held.add(cap);
            }
        }
        return held;
    }

    /** Whether any capability survives the uid change (then keep-caps must be set first). */
    boolean keepsAny() {
        return !permitted.numbers().isEmpty() || !ambient.numbers().isEmpty();
    }

    /** Drops every capability the bounding set does not list, up to the kernel's last one. */
    void dropBoundingSet() {
        for (int cap = 0; cap <= lastCap; cap++) {
            if (!bounding.numbers().contains(cap)) {
                steps.step("drop " + Capability.name(cap) + " from the bounding set",
                        "no process in the container can ever gain it again, even through a setuid binary",
                        "prctl", Prctl.PR_CAPBSET_DROP, cap, 0, 0, 0);
            }
        }
    }

    void keepCapsAcrossUidChange() {
        steps.step("keep capabilities across the uid change", "otherwise setresuid to a non-root uid clears them",
                "prctl", Prctl.PR_SET_KEEPCAPS, 1, 0, 0, 0);
    }

    /** capset(effective, permitted, inheritable), then the ambient set. */
    void setSets() {
        NativeMemory memory = steps.memory();
        long header = memory.allocate(8);
        NativeMemory.putInt(header, Capability.LINUX_CAPABILITY_VERSION_3);
        NativeMemory.putInt(header + 4, 0); // this process
        long data = memory.allocate(24); // two {effective, permitted, inheritable} words: caps 0-31, 32-63
        for (int word = 0; word < 2; word++) {
            NativeMemory.putInt(data + 12L * word, effective.word(word));
            NativeMemory.putInt(data + 12L * word + 4, permitted.word(word));
            NativeMemory.putInt(data + 12L * word + 8, inheritable.word(word));
        }
        steps.step("set capabilities " + describe(), "the workload gets exactly the configured capabilities",
                "capset", header, data);
        steps.step("clear the ambient capabilities", "start from an empty ambient set", "prctl",
                Prctl.PR_CAP_AMBIENT, Prctl.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        for (int cap : ambient.numbers()) {
            if (!permitted.numbers().contains(cap) || !inheritable.numbers().contains(cap)) {
                // The kernel refuses (EPERM) to raise it; runc and crun skip it too (`runc spec` lists three such).
                LOG.log(System.Logger.Level.DEBUG, "process.capabilities.ambient: " + Capability.name(cap)
                        + " is not also permitted and inheritable; not raised");
                continue;
            }
            steps.step("raise ambient " + Capability.name(cap), "ambient capabilities survive execve of a plain binary",
                    "prctl", Prctl.PR_CAP_AMBIENT, Prctl.PR_CAP_AMBIENT_RAISE, cap, 0, 0);
        }
    }

    private String describe() {
        return "(effective " + effective + ", permitted " + permitted + ", inheritable " + inheritable + ")";
    }

    /** The running kernel's highest capability number. */
    static int readLastCap() {
        // Read with a stream: procfs can answer a small first read with just the first byte.
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/kernel/cap_last_cap"))) {
            return Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            throw new LaunchException("reading /proc/sys/kernel/cap_last_cap: " + e.getMessage(), e);
        }
    }

    /** A validated set of capability numbers. */
    record CapabilitySet(Set<Integer> numbers) {
        static CapabilitySet of(List<String> names, String field) {
            Set<Integer> numbers = new TreeSet<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                int index = i;
                numbers.add(Capability.number(name).orElseThrow(() ->
                        new LaunchException(field + "[" + index + "]: unknown capability \"" + name + "\"")));
            }
            return new CapabilitySet(Set.copyOf(numbers));
        }

        int word(int index) {
            int bits = 0;
            for (int cap : numbers) {
                if (cap / 32 == index) {
                    bits |= 1 << (cap % 32);
                }
            }
            return bits;
        }

        @Override
        public String toString() {
            return numbers.isEmpty() ? "none" : String.join(",", new TreeSet<>(numbers).stream().map(Capability::name).toList());
        }
    }
}
