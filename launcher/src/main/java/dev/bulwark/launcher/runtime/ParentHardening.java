package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.nativ.constants.Prctl;
import dev.bulwark.nativ.Syscalls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The launcher's own side of hardening, done once the child's id maps are written and before it is
 * released: the container's {@code process.oomScoreAdj}, then the launcher marks itself non-dumpable.
 *
 * <p>Order matters for rootless launches: dumpability belongs to the memory image, which a
 * CLONE_VM child shares and a forked child copies, and the /proc/PID/{uid_map,gid_map,setgroups} of a
 * non-dumpable task belong to host root, so an unprivileged launcher could no longer write its
 * child's maps. So the flag is set after the maps; from then on, while the launcher holds the
 * container's pidfd, pipes and state, no other process of the same host user can ptrace it or read
 * its memory, fds or environment. The flag is never cleared, so it is only for a process that runs
 * one container, the CLI ({@link #makeLauncherNonDumpable()}); a JVM embedding Bulwark is not made non-dumpable
 * on purpose (though a vfork-like child's change of credentials can leave it so: see ChildProgram).
 */
public final class ParentHardening {
    private static volatile boolean nonDumpable;

    private ParentHardening() {
    }

    /** Opt-in for the CLI's one-container process: mark it non-dumpable once the child's maps are written. */
    public static void makeLauncherNonDumpable() {
        nonDumpable = true;
    }

    /**
     * Marks this process non-dumpable now, for {@code exec}: it has no id maps to write, and its child (a copy of
     * it, holding its host fds until execve) starts non-dumpable as well. Never cleared: the CLI's process only.
     */
    public static void makeNonDumpableNow() {
        Syscalls.prctl(Prctl.PR_SET_DUMPABLE, 0, 0, 0, 0);
    }

    /** Applies oomScoreAdj to the (not yet released) child, then (CLI only) makes the launcher non-dumpable. */
    public static void afterIdMaps(Spec spec, int childPid) {
        Integer adj = spec.process().oomScoreAdj();
        if (adj != null) {
            Path file = Path.of("/proc", Integer.toString(childPid), "oom_score_adj");
            try {
                Files.writeString(file, adj.toString());
            } catch (IOException e) {
                if (!(e instanceof AccessDeniedException) && !String.valueOf(e.getMessage()).contains("Permission denied")) {
                    throw new LaunchException("process.oomScoreAdj: writing " + file + ": " + e.getMessage(), e);
                }
                throw new LaunchException("process.oomScoreAdj: " + adj + " is below the launcher's own value ("
                        + current() + "); lowering it needs CAP_SYS_RESOURCE, which this launcher does not hold"
                        + " (this host withholds it even from root); use a value >= " + current());
            }
        }
        if (nonDumpable) {
            Syscalls.prctl(Prctl.PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    }

    private static String current() {
        try (InputStream in = Files.newInputStream(Path.of("/proc/self/oom_score_adj"))) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
