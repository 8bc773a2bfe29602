package dev.bulwark.launcher.runtime;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleMemoryTest {
    @Test
    void onlyPrivateReadOnlyFileMappingsWithoutWrittenOrSwappedPagesAreDropped() {
        List<IdleMemory.Mapping> mappings = IdleMemory.parse(List.of(
                "55d0c0000000-55d0c0100000 r-xp 00001000 fe:00 1234   /usr/bin/bulwark",
                "Rss:                 400 kB",
                "Private_Dirty:         0 kB",
                "Anonymous:             0 kB",
                "Swap:                  0 kB",
                "55d0c0200000-55d0c0201000 r--p 00002000 fe:00 1234   /usr/bin/bulwark",
                "Anonymous:             4 kB",
                "Swap:                  0 kB",
                "55d0c0210000-55d0c0211000 r--p 00002000 fe:00 1234   /usr/bin/bulwark",
                "Private_Dirty:         0 kB",
                "Anonymous:             0 kB",
                "Swap:                  4 kB",
                "55d0c0220000-55d0c0221000 r--p 00002000 fe:00 1234   /usr/bin/bulwark",
                "Anonymous:             0 kB",
                "55d0c0230000-55d0c0231000 r--p 00002000 fe:00 1234   /usr/bin/bulwark",
                "Private_Dirty:         4 kB",
                "Anonymous:             0 kB",
                "Swap:                  0 kB",
                "55d0c0300000-55d0c0301000 rw-p 00003000 fe:00 1234   /usr/bin/bulwark",
                "Anonymous:             0 kB",
                "7f0000000000-7f0000001000 r--s 00000000 fe:00 99     /dev/shm/x",
                "Anonymous:             0 kB",
                "7f0000002000-7f0000003000 r--p 00000000 00:00 0 ",
                "Anonymous:             0 kB",
                "7ffff7ff0000-7ffff7ff2000 r-xp 00000000 00:00 0      [vdso]",
                "Anonymous:             0 kB",
                "VmFlags: rd ex mr mw me"));
        assertEquals(9, mappings.size());
        assertEquals(0x55d0c0000000L, mappings.get(0).start());
        assertEquals(0x55d0c0100000L, mappings.get(0).end());
        assertEquals("/usr/bin/bulwark", mappings.get(0).path());
        // a relocated page swapped out (Swap, not Anonymous) or a mapping whose sizes are missing is kept; a file
        // page dirty in the page cache (Private_Dirty without Anonymous: the file was written, not this mapping) goes
        assertEquals(List.of(true, false, false, false, true, false, false, false, false),
                mappings.stream().map(IdleMemory.Mapping::cleanFileCopy).toList());
    }

    @Test
    void onlyFilesMappedForTheProcesssLifeAreDropped() {
        String exe = "/usr/lib/bulwark/bulwark";
        assertTrue(mapping(exe).mappedForLife(exe));
        assertTrue(mapping("/usr/lib/x86_64-linux-gnu/libc.so.6").mappedForLife(exe));
        assertTrue(mapping("/opt/bulwark/lib/libjffi-1.2.so").mappedForLife(exe));
        assertTrue(mapping("/usr/lib/jvm/java-17-openjdk-amd64/lib/modules").mappedForLife(exe));
        assertTrue(mapping("/usr/lib/jvm/java-17-openjdk-amd64/lib/server/classes.jsa").mappedForLife(exe));
        // a MappedByteBuffer's file may be unmapped by its Cleaner at any time: never dropped
        assertFalse(mapping("/var/lib/data/index.bin").mappedForLife(exe));
        assertFalse(mapping("/usr/lib/bulwark/bulwark.jar").mappedForLife(exe));
    }

    private static IdleMemory.Mapping mapping(String path) {
        return new IdleMemory.Mapping(0x1000, 0x2000, "r--p", path, 0, 0);
    }

    @Test
    void theExecutablesOwnMappingsAreDroppedLast() {
        String exe = "/usr/lib/bulwark/bulwark";
        IdleMemory.Mapping code = new IdleMemory.Mapping(0x1000, 0x2000, "r-xp", exe, 0, 0);
        IdleMemory.Mapping libc = mapping("/usr/lib/x86_64-linux-gnu/libc.so.6");
        IdleMemory.Mapping data = new IdleMemory.Mapping(0x3000, 0x4000, "r--p", exe, 0, 0);
        IdleMemory.Mapping written = new IdleMemory.Mapping(0x5000, 0x6000, "r--p", "/opt/lib/libjffi-1.2.so", 4, 0);
        IdleMemory.Mapping other = mapping("/var/lib/data/index.bin");
        assertEquals(List.of(libc, data, code), IdleMemory.dropOrder(List.of(code, libc, written, data, other), exe));
    }

    @Test
    void releaseDropsFilePagesAndLeavesThisProcessWorking() throws IOException {
        List<IdleMemory.Mapping> mappings = IdleMemory.parse(Files.readAllLines(Path.of("/proc/self/smaps")));
        assertTrue(mappings.stream().anyMatch(IdleMemory.Mapping::cleanFileCopy), "a JVM maps code from files: " + mappings);
        long before = residentFileKb();
        IdleMemory.release();
        long after = residentFileKb();
        assertTrue(after < before, "resident file pages " + before + " kB before, " + after + " kB after");
        // The dropped pages come back from the page cache: code, class data and files still work.
        assertEquals("x1", String.format("x%d", 1));
        assertFalse(IdleMemory.parse(Files.readAllLines(Path.of("/proc/self/smaps"))).isEmpty());
    }

    private static long residentFileKb() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith("RssFile:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("[^0-9]", ""))).findFirst().orElseThrow();
    }
}
