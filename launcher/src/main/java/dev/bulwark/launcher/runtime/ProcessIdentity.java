package dev.bulwark.launcher.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A process named by its pid and its start time (field 22 of {@code /proc/PID/stat}, clock ticks
 * after boot): a pid alone may have been reused by an unrelated process since it was recorded.
 */
public record ProcessIdentity(int pid, long startTime) {
    /** The process now running as {@code pid}, if any. */
    public static java.util.Optional<ProcessIdentity> current(int pid) {
        OptionalLong start = startTimeOf(pid);
        return start.isPresent() ? java.util.Optional.of(new ProcessIdentity(pid, start.getAsLong())) : java.util.Optional.empty();
    }

    /** This process. */
    public static ProcessIdentity self() {
        int pid = (int) ProcessHandle.current().pid();
        return new ProcessIdentity(pid, startTimeOf(pid).orElse(0));
    }

    /**
     * Whether this process still runs. A start time of 0 (recorded by an older Bulwark) compares by pid
     * only. A zombie counts as gone: it runs nothing and holds no namespace.
     */
    public boolean alive() {
        if (pid <= 0) {
            return false;
        }
        String stat = readStat(pid);
        if (stat == null) {
            return false;
        }
        String[] fields = afterCommand(stat);
        if (fields[0].equals("Z") || fields[0].equals("X")) {
            return false;
        }
        return startTime == 0 || Long.parseLong(fields[19]) == startTime;
    }

    static OptionalLong startTimeOf(int pid) {
        String stat = pid > 0 ? readStat(pid) : null;
        return stat == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(afterCommand(stat)[19]));
    }

    /** The fields after "(comm)": state is [0], starttime (field 22) is [19]. The command may contain spaces and ')'. */
    private static String[] afterCommand(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    private static String readStat(int pid) {
        try {
            return Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        } catch (IOException e) {
            return null; // no such process (any more)
        }
    }
}
