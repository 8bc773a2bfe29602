package dev.bulwark.launcher.runtime;

import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Gives back, once a foreground container runs on, the memory the launch touched and the wait does not need: a
 * collection of the launch's garbage, and the pages of code and read-only data mapped from files (the native
 * launcher's executable and its read-only image heap, a JVM's libjvm.so) that the launch read. Such a page is the
 * file's page-cache page, so dropping it from this process loses nothing: the launcher reads it again from the
 * page cache if it needs it (to clean up when the container ends).
 *
 * <p>Only mappings that are private, not writable, backed by a file and without a single page of their own
 * ({@code Anonymous: 0 kB} in smaps: no relocated or otherwise written page) are dropped, so the contents the
 * process sees never change.
 */
final class IdleMemory {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private static final Path SMAPS = Path.of("/proc/self/smaps");

    private IdleMemory() {
    }

    /** A mapping as smaps describes it: its range, permissions, backing path and anonymous (private, written) size. */
    record Mapping(long start, long end, String permissions, String path, long anonymousKb) {
        boolean cleanFileCopy() {
            return permissions.length() == 4 && permissions.charAt(1) != 'w' && permissions.charAt(3) == 'p'
                    && path.startsWith("/") && anonymousKb == 0;
        }
    }

    /** Collects garbage and drops clean file-backed pages; a failure only means the memory stays resident. */
    static void release() {
        System.gc();
        try {
            for (Mapping mapping : parse(Files.readAllLines(SMAPS))) {
                if (mapping.cleanFileCopy()) {
                    Syscalls.madvise(mapping.start(), mapping.end() - mapping.start(), Syscalls.MADV_DONTNEED);
                }
            }
        } catch (IOException | SyscallException e) {
            LOG.log(System.Logger.Level.DEBUG, "launcher memory stays resident while the container runs: " + e.getMessage());
        }
    }

    /** The mappings of an smaps text (a header line per mapping, then "Key: value kB" lines). */
    static List<Mapping> parse(List<String> smaps) {
        List<Mapping> mappings = new ArrayList<>();
        long start = 0;
        long end = 0;
        String permissions = null;
        String path = "";
        for (String line : smaps) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash) && isHex(line, dash + 1, space)) {
                String[] fields = line.split("\\s+", 6);
                start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                permissions = fields.length > 1 ? fields[1] : "";
                path = fields.length > 5 ? fields[5].strip() : "";
            } else if (permissions != null && line.startsWith("Anonymous:")) {
                long kb = Long.parseLong(line.substring("Anonymous:".length()).replace("kB", "").strip());
                mappings.add(new Mapping(start, end, permissions, path, kb));
                permissions = null;
            }
        }
        return mappings;
    }

    private static boolean isHex(String line, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(line.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from;
    }
}
