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
 * ({@code Anonymous} and {@code Swap} both 0 kB in smaps: no relocated or otherwise written page, resident or
 * swapped out; a written page of a private mapping is an anonymous copy) are dropped, so the contents the process
 * sees never change. {@code Private_Dirty} is not asked: it also counts file pages dirty in the page cache (a
 * binary written moments ago, not yet on disk), which stay in the page cache when this process lets go of them.
 * The executable's own mappings go last: code and data the rest of this method runs (and faults back in, 64 kB
 * at a time) are then only the few pages between the last madvise and the wait. And only files
 * that stay mapped for the process's life ({@link Mapping#mappedForLife}: the launcher's executable, shared
 * libraries, the JDK's modules image and class-data archive): the ranges come from a snapshot of smaps, and a
 * mapping another thread unmaps meanwhile (a MappedByteBuffer its Cleaner frees after the collection) could
 * have its addresses reused by anonymous memory, which MADV_DONTNEED would zero.
 */
final class IdleMemory {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    private static final Path SMAPS = Path.of("/proc/self/smaps");

    private IdleMemory() {
    }

    /** A mapping as smaps describes it: its range, permissions, backing path and anonymous (private, written) size. */
    record Mapping(long start, long end, String permissions, String path, long anonymousKb, long swapKb) {
        boolean cleanFileCopy() {
            return permissions.length() == 4 && permissions.charAt(1) != 'w' && permissions.charAt(3) == 'p'
                    && path.startsWith("/") && anonymousKb == 0 && swapKb == 0;
        }

        /** A file no code of the launcher unmaps: its executable, a shared library, the JDK's modules or CDS archive. */
        boolean mappedForLife(String executable) {
            return path.equals(executable) || path.endsWith(".so") || path.contains(".so.")
                    || path.endsWith("/lib/modules") || path.endsWith(".jsa");
        }
    }

    /** Collects garbage and drops clean file-backed pages; a failure only means the memory stays resident. */
    static void release() {
        System.gc();
        List<Mapping> mappings;
        String executable;
        try {
            executable = Path.of("/proc/self/exe").toRealPath().toString();
            mappings = parse(Files.readAllLines(SMAPS));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "launcher memory stays resident while the container runs: " + e.getMessage());
            return;
        }
        for (Mapping mapping : dropOrder(mappings, executable)) {
            try {
                Syscalls.madvise(mapping.start(), mapping.end() - mapping.start(), Syscalls.MADV_DONTNEED);
            } catch (SyscallException e) { // e.g. a mapping gone or changed meanwhile: it stays as it is
                LOG.log(System.Logger.Level.DEBUG, "launcher mapping " + mapping.path() + " stays resident: " + e.getMessage());
            }
        }
    }

    /** The mappings to drop, the executable's own last and its code very last (what runs after a drop refaults). */
    static List<Mapping> dropOrder(List<Mapping> mappings, String executable) {
        List<Mapping> drop = new ArrayList<>();
        List<Mapping> own = new ArrayList<>();
        for (Mapping mapping : mappings) {
            if (mapping.cleanFileCopy() && mapping.mappedForLife(executable)) {
                (mapping.path().equals(executable) ? own : drop).add(mapping);
            }
        }
        own.sort(java.util.Comparator.comparing(mapping -> mapping.permissions().indexOf('x') >= 0)); // stable: code last
        drop.addAll(own);
        return drop;
    }

    /**
     * The mappings of an smaps text: a header line per mapping, then "Key: value kB" lines (Anonymous and
     * Swap among them; a key missing from the kernel's output counts as not zero, so nothing is dropped).
     */
    static List<Mapping> parse(List<String> smaps) {
        List<Mapping> mappings = new ArrayList<>();
        String[] header = null;
        java.util.Map<String, Long> sizes = new java.util.HashMap<>();
        for (String line : smaps) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash) && isHex(line, dash + 1, space)) {
                addMapping(mappings, header, sizes);
                header = line.split("\\s+", 6);
                sizes.clear();
            } else if (header != null && line.endsWith(" kB") && line.indexOf(':') > 0) {
                String key = line.substring(0, line.indexOf(':'));
                sizes.put(key, Long.parseLong(line.substring(key.length() + 1, line.length() - 3).strip()));
            }
        }
        addMapping(mappings, header, sizes);
        return mappings;
    }

    private static void addMapping(List<Mapping> mappings, String[] header, java.util.Map<String, Long> sizes) {
        if (header == null) {
            return;
        }
        String range = header[0];
        int dash = range.indexOf('-');
        mappings.add(new Mapping(Long.parseUnsignedLong(range.substring(0, dash), 16),
                Long.parseUnsignedLong(range.substring(dash + 1), 16), header.length > 1 ? header[1] : "",
                header.length > 5 ? header[5].strip() : "", sizes.getOrDefault("Anonymous", -1L),
                sizes.getOrDefault("Swap", -1L)));
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
