package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --init} (or the annotation {@value #ANNOTATION}: {@code "tini"}): Debian's static tini runs as
 * the container's pid 1, bind-mounted read-only at {@value #DESTINATION} as Docker's {@code --init}
 * mounts it (at /sbin/docker-init; /dev is the container's own tmpfs, so the mount point never clashes
 * with the image nor needs a writable root). tini forwards the signals it gets and reaps every
 * orphan, which a workload as pid 1 rarely does. {@code -g}: signals go to the workload's whole process
 * group, as a terminal's Ctrl-C does, so a shell's foreground child stops with it; {@code -s}: tini
 * stays a reaper when the config has no pid namespace of its own (no-op as pid 1).
 */
public final class TiniInit {
    public static final String ANNOTATION = "dev.bulwark.init";
    public static final String DESTINATION = "/dev/init";
    public static final Path STATIC_TINI = Path.of("/usr/bin/tini-static");
    private static final List<String> ARGS = List.of(DESTINATION, "-s", "-g", "--");

    private TiniInit() {
    }

    /** Whether tini runs as pid 1: the flag, or the annotation (whose only value is "tini"). */
    public static boolean requested(Spec spec, boolean flag) {
        String value = spec.annotations().get(ANNOTATION);
        if (value == null || flag) {
            return flag;
        }
        if (!value.strip().equals("tini")) {
            throw new LaunchException("annotations[\"" + ANNOTATION + "\"]: \"" + value + "\" is not an init Bulwark "
                    + "knows; the only one is \"tini\"");
        }
        return true;
    }

    /** {@code spec} with tini mounted and prepended to process.args; {@code field} names what asked for it in errors. */
    public static Spec apply(Spec spec, String field, Path tini) {
        if (!Files.isRegularFile(tini) || !Files.isExecutable(tini)) {
            throw new LaunchException(field + ": " + tini + " not found; install Debian's tini package "
                    + "(apt-get install tini), or run without " + field);
        }
        if (spec.process() == null || spec.process().args().isEmpty()) {
            return spec; // validation says "process.args: required"
        }
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        mounts.add(new Mount(DESTINATION, "bind", tini.toString(), List.of("bind", "ro", "nosuid", "nodev")));
        List<String> args = new ArrayList<>(ARGS);
        args.addAll(spec.process().args());
        return spec.withMounts(mounts).withProcess(spec.process().withArgs(args));
    }
}
