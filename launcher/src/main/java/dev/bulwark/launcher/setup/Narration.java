package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Spec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code run --explain} and {@code --trace} say about the child's steps, as data: lines, each
 * anchored at the plan step it is printed at (the narrator prints a line once the child reports that
 * step, or earlier at its last stop). Rendered from the {@link SetupPlan} alone, so {@code bulwark plan}
 * and the narrated run say the same.
 *
 * <ul>
 *   <li>{@link Detail#BRIEF}: one line per layer (root filesystem, masked paths, Landlock, capabilities,
 *       no_new_privs, seccomp, ...), the launcher's plumbing left out;</li>
 *   <li>{@link Detail#FULL}: every step, runs of like steps collapsed into one line ("mask 5 paths:
 *       /proc/kcore, ...", "drop 41 capabilities from the bounding set", "reset 62 signal handlers"), each
 *       with its why;</li>
 *   <li>{@link Detail#TRACE}: every step as {@code bulwark plan} prints it: number, config field, the
 *       syscall with its arguments, why, and the command that does the same by hand.</li>
 * </ul>
 */
public final class Narration {
    /** How much {@code --explain} says. */
    public enum Detail {
        BRIEF, FULL, TRACE;

        /** {@code brief}, {@code full} (any case); throws naming the flag otherwise. */
        public static Detail parse(String value, String flag) {
            try {
                Detail detail = valueOf(value.strip().toUpperCase(Locale.ROOT));
                if (detail != TRACE) {
                    return detail;
                }
            } catch (IllegalArgumentException e) {
                // below
            }
            throw new dev.bulwark.launcher.LaunchException(flag + ": expected brief or full, got \"" + value + "\"");
        }
    }

    /** One printed line and the plan step it belongs to. */
    public record Line(int step, String text) {
    }

    private static final Pattern MASK = Pattern.compile("^mask (\\S+) with ");
    private static final Pattern READ_ONLY = Pattern.compile("^put read-only (\\S+) in place");
    private static final Pattern LANDLOCK_RULE = Pattern.compile("^Landlock: allow (\\S+) beneath (\\S+)");
    private static final Pattern DEVICE = Pattern.compile("^bind device (\\S+)");
    private static final Pattern DROP = Pattern.compile("^drop (CAP_\\w+) from the bounding set");

    private Narration() {
    }

    /** The lines of {@code plan} at {@code detail}, in step order. */
    public static List<Line> of(SetupPlan plan, Spec spec, Detail detail) {
        return switch (detail) {
            case BRIEF -> brief(plan, spec);
            case FULL -> full(plan);
            case TRACE -> trace(plan, spec);
        };
    }

    // --- trace: the plan itself ---

    private static List<Line> trace(SetupPlan plan, Spec spec) {
        List<Line> lines = new ArrayList<>();
        int width = Integer.toString(plan.steps().size()).length();
        for (PlannedStep step : plan.steps()) {
            for (String text : PlanText.block(step, ByHand.of(step, spec), width).split("\n")) {
                lines.add(new Line(step.index(), text));
            }
        }
        return lines;
    }

    // --- full: every step, runs collapsed ---

    private static List<Line> full(SetupPlan plan) {
        List<Line> lines = new ArrayList<>();
        List<PlannedStep> steps = plan.steps();
        int i = 0;
        while (i < steps.size()) {
            PlannedStep first = steps.get(i);
            String group = group(first);
            int end = i + 1;
            while (end < steps.size() && sameRun(first, group, steps.get(end))) {
                end++;
            }
            List<PlannedStep> run = steps.subList(i, end);
            lines.add(new Line(first.index(), describe(group, run)));
            i = end;
        }
        return lines;
    }

    /** Steps that collapse into one line even when their whys differ (a mask's check, mount and closes). */
    private static String group(PlannedStep step) {
        String field = step.configField();
        String name = step.name();
        if (name.startsWith("clone the host's /dev/null for ")) {
            return "mask sources";
        }
        if (field.startsWith("linux.maskedPaths[")) {
            return "masks";
        }
        if (field.startsWith("linux.readonlyPaths[")) {
            return "read-only";
        }
        if (field.startsWith("mounts[")) {
            return field.substring(0, field.indexOf(']') + 1);
        }
        if (field.equals("linux.devices") && !name.startsWith("create symlink")) {
            return "devices";
        }
        if (field.equals(LandlockSteps.FIELD) && name.startsWith("Landlock: ")) {
            return "landlock rules";
        }
        return null;
    }

    private static boolean sameRun(PlannedStep first, String group, PlannedStep next) {
        if (group != null) {
            return group.equals(group(next));
        }
        return group(next) == null && first.why().equals(next.why());
    }

    private static String describe(String group, List<PlannedStep> run) {
        PlannedStep first = run.get(0);
        if (group == null) {
            String line;
            if (run.size() == 1 || run.subList(1, run.size()).stream().allMatch(ByHand::servesAnother)) {
                line = first.name(); // an open, its write and close: one thing done
            } else if (first.name().startsWith("drop CAP_")) {
                line = "drop " + run.size() + " capabilities from the bounding set: " + collect(run, DROP, 1);
            } else if (first.name().startsWith("set user namespace limit ")) {
                List<String> limits = run.stream().filter(st -> st.name().startsWith("set user namespace limit "))
                        .map(st -> st.name().substring(25).replaceFirst(" \\(.*", "")).toList();
                line = "set " + limits.size() + " user namespace limits: " + String.join(", ", limits);
            } else if (first.name().startsWith("create file ") && first.syscall().equals("openat")) {
                List<String> files = run.stream().filter(st -> st.name().startsWith("create file "))
                        .map(st -> st.name().substring(12)).toList();
                line = "write " + files.size() + " files: " + String.join(", ", files);
            } else if (first.name().startsWith("reset handler of signal")) {
                line = "reset " + run.size() + " signal handlers to their defaults";
            } else {
                line = first.name() + " ... " + run.get(run.size() - 1).name() + " (" + run.size() + " steps)";
            }
            return withWhy(line, first.why());
        }
        switch (group) {
            case "masks": {
                Set<String> paths = paths(run, MASK, 1);
                return withWhy("mask " + paths.size() + " paths: " + String.join(", ", paths),
                        "/dev/null over files, an empty read-only tmpfs over directories: the container cannot read them");
            }
            case "read-only": {
                Set<String> paths = paths(run, READ_ONLY, 1);
                return withWhy("make " + paths.size() + " paths read-only: " + String.join(", ", paths),
                        "the container may read these kernel settings, never change them");
            }
            case "devices": {
                Set<String> paths = paths(run, DEVICE, 1);
                if (paths.isEmpty()) {
                    return describe(null, run.subList(0, 1)) + (run.size() > 1 ? " (" + run.size() + " steps)" : "");
                }
                return withWhy("bind " + paths.size() + " devices from the host: " + String.join(", ", paths),
                        "device nodes cannot be created in a user namespace, so the host's are bound");
            }
            case "landlock rules": {
                List<String> rules = new ArrayList<>();
                for (PlannedStep step : run) {
                    Matcher m = LANDLOCK_RULE.matcher(step.name());
                    if (m.find()) {
                        rules.add(m.group(2) + " " + m.group(1));
                    }
                }
                return withWhy("Landlock: " + rules.size() + " rules: " + String.join(", ", rules),
                        "what the container may do beneath each path; everything else is denied");
            }
            case "mask sources":
                return withWhy("clone the host's /dev/null for " + run.size() + " masks", first.why());
            default: { // one mount of mounts[]: its main step says it all
                PlannedStep main = run.stream().filter(s -> s.name().startsWith("mount ") || s.name().startsWith("bind "))
                        .reduce((a, b) -> b).orElse(first);
                return withWhy(main.name(), main.why());
            }
        }
    }

    // --- brief: one line per layer ---

    /** The layer a step belongs to, or null for the launcher's plumbing. */
    static String layer(PlannedStep step) {
        String field = step.configField();
        if (field.equals(PlannedStep.LAUNCHER) || field.startsWith("linux.uidMappings") || field.startsWith("linux.gidMappings")) {
            return null;
        }
        if (field.equals(PlannedStep.BULWARK)) {
            return "memfd";
        }
        if (field.equals("hooks")) {
            return "hooks";
        }
        if (field.equals("linux.namespaces")) {
            return "inside the new namespaces";
        }
        if (field.equals("hostname") || field.equals("domainname")) {
            return "hostname";
        }
        if (field.equals(UserNamespaceLimitSteps.FIELD)) {
            return "per-user kernel limits";
        }
        if (field.startsWith("mounts[") || field.startsWith("root") || field.startsWith("linux.devices")
                || field.equals("linux.rootfsPropagation") || field.startsWith("--root")) {
            return "root filesystem";
        }
        if (field.equals("linux.sysctl")) {
            return "sysctl";
        }
        if (field.startsWith("linux.maskedPaths") || field.startsWith("linux.readonlyPaths")) {
            return "masked and read-only paths";
        }
        if (field.equals("process.apparmorProfile") || field.equals("process.selinuxLabel")) {
            return "LSM label";
        }
        if (field.equals(LandlockSteps.FIELD)) {
            return "Landlock";
        }
        if (field.startsWith("process.capabilities")) {
            return "capabilities";
        }
        if (field.equals("process.noNewPrivileges")) {
            return "no_new_privs";
        }
        if (field.equals("process.user")) {
            return "identity";
        }
        if (field.equals("linux.seccomp")) {
            return "seccomp";
        }
        if (field.equals("process.args")) {
            return "exec";
        }
        return "process";
    }

    private static List<Line> brief(SetupPlan plan, Spec spec) {
        List<String> order = new ArrayList<>();
        java.util.Map<String, List<PlannedStep>> byLayer = new java.util.HashMap<>();
        java.util.Map<String, Integer> firstStep = new java.util.HashMap<>();
        for (PlannedStep step : plan.steps()) {
            String layer = layer(step);
            if (layer == null) {
                continue;
            }
            if (!byLayer.containsKey(layer)) {
                order.add(layer);
                firstStep.put(layer, step.index());
            }
            byLayer.computeIfAbsent(layer, l -> new ArrayList<>()).add(step);
        }
        List<Line> lines = new ArrayList<>();
        for (String layer : order) {
            List<PlannedStep> steps = byLayer.get(layer);
            String summary;
            if (layer.equals("exec")) {
                summary = "execve " + String.join(" ", spec.process().args()) + (steps.size() == 1 ? ""
                        : " (the first of " + steps.size() + " candidates on PATH that exists)");
            } else if (layer.equals("root filesystem")) {
                summary = rootFilesystem(steps);
            } else {
                List<String> parts = new ArrayList<>();
                for (Line line : full(new SetupPlan(steps))) {
                    String part = line.text().replaceFirst("  -- .*", "");
                    if (!isBookkeeping(part)) {
                        parts.add(part);
                    }
                }
                summary = String.join("; ", parts);
            }
            if (summary.length() > 400) {
                summary = summary.substring(0, 397) + "...";
            }
            lines.add(new Line(firstStep.get(layer), layer + ": " + summary));
        }
        return lines;
    }

    private static final Pattern BIND_HOST = Pattern.compile("^bind host (\\S+)");
    private static final Pattern MOUNT_ON = Pattern.compile("^mount (\\S+) on (\\S+) \\(mounts\\[");

    /** Brief's root filesystem: the binds, the mounts and the devices counted and named, then pivot_root. */
    private static String rootFilesystem(List<PlannedStep> steps) {
        List<String> parts = new ArrayList<>();
        List<String> hostBinds = new ArrayList<>();
        List<String> mounts = new ArrayList<>();
        Set<String> devices = new LinkedHashSet<>();
        for (PlannedStep step : steps) {
            String name = step.name();
            Matcher m;
            if ((m = BIND_HOST.matcher(name)).find()) {
                hostBinds.add(m.group(1));
            } else if ((m = MOUNT_ON.matcher(name)).find()) {
                mounts.add(m.group(1) + " on " + m.group(2));
            } else if ((m = DEVICE.matcher(name)).find()) {
                devices.add(m.group(1));
            } else if (name.equals("make every mount private") || name.equals("mount a tmpfs as the new root")
                    || name.startsWith("pivot_root") || name.equals("detach the host's root") || name.startsWith("remount / ")) {
                parts.add(name);
            }
        }
        int at = Math.min(parts.size(), parts.indexOf("mount a tmpfs as the new root") + 1);
        List<String> middle = new ArrayList<>();
        if (!hostBinds.isEmpty()) {
            middle.add("bind " + hostBinds.size() + " host paths read-only (" + String.join(", ", hostBinds) + ")");
        }
        if (!mounts.isEmpty()) {
            middle.add(mounts.size() + " mounts (" + String.join(", ", mounts) + ")");
        }
        if (!devices.isEmpty()) {
            middle.add(devices.size() + " devices (" + String.join(", ", devices) + ")");
        }
        parts.addAll(Math.max(at, parts.indexOf("make every mount private") + 1), middle);
        return String.join("; ", parts);
    }

    /** What brief leaves out of a layer's line: mount points, fds, files of the built-in root. */
    private static boolean isBookkeeping(String part) {
        for (String prefix : List.of("create directory ", "create file ", "create symlink ", "write ", "close ", "open ",
                "--root ", "change directory to the root's fd", "clone the host's /dev/null", "root.path: open ")) {
            if (part.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    // --- helpers ---

    private static String withWhy(String line, String why) {
        return why == null || why.isEmpty() ? line : line + "  -- " + why;
    }

    private static Set<String> paths(List<PlannedStep> run, Pattern pattern, int group) {
        Set<String> paths = new LinkedHashSet<>();
        for (PlannedStep step : run) {
            Matcher m = pattern.matcher(step.name());
            if (m.find()) {
                paths.add(m.group(group));
            }
        }
        return paths;
    }

    private static String collect(List<PlannedStep> run, Pattern pattern, int group) {
        return String.join(", ", paths(run, pattern, group));
    }
}
