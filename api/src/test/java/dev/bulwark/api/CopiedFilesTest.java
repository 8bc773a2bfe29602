package dev.bulwark.api;

import dev.bulwark.nativ.Syscalls;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The staging directory of copied files: who owns it, and that removing it never follows a link out of it. */
class CopiedFilesTest {

    @Test
    void removalRemovesPlantedLinksNotWhatTheyName(@TempDir Path temp) throws Exception {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Path kept = Files.writeString(outside.resolve("kept"), "host data");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path stage = Files.createDirectory(temp.resolve("stage"));
        Files.createSymbolicLink(stage.resolve("0"), outside); // a link to a directory, where a directory was
        Path sub = Files.createDirectory(stage.resolve("1"));
        Files.createSymbolicLink(sub.resolve("link"), kept);
        Files.writeString(sub.resolve("file"), "copied");
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("r-x------")); // a copied mode without write
        Path locked = Files.createDirectory(stage.resolve("2"));
        Files.writeString(locked.resolve("file"), "copied");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));

        CopiedFiles.Staged.removeTree(stage);

        assertFalse(Files.exists(stage, LinkOption.NOFOLLOW_LINKS), "the staging tree is gone");
        assertEquals("host data", Files.readString(kept), "the file a link named is untouched");
        assertEquals(PosixFilePermissions.fromString("r-xr-xr-x"), Files.getPosixFilePermissions(outside),
                "the directory a link named keeps its mode (no chmod through the link)");
        try (var left = Files.list(outside)) {
            assertEquals(1, left.count(), "nothing was removed from the directory a link named");
        }
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwx------")); // for @TempDir's cleanup
    }

    @Test
    void theStagingDirectoryStaysTheLaunchersWhenItsEntriesAreHandedOver(@TempDir Path temp) throws Exception {
        Assumptions.assumeTrue(Syscalls.geteuid() == 0, "handing files to another uid needs root");
        CopiedFiles copies = new CopiedFiles();
        copies.addContent("data".getBytes(), 0600, "/etc/data");
        CopiedFiles.Staged staged = copies.stage(new CopiedFiles.ContainerRoot(123456, 123456));
        try {
            Path top = staged.directory();
            assertEquals(0, Files.getAttribute(top, "unix:uid", LinkOption.NOFOLLOW_LINKS), "the top stays root's");
            assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(top, LinkOption.NOFOLLOW_LINKS));
            assertEquals(123456, Files.getAttribute(top.resolve("0"), "unix:uid", LinkOption.NOFOLLOW_LINKS),
                    "the entry is the container root's");
        } finally {
            staged.remove();
        }
        assertTrue(Files.notExists(staged.directory(), LinkOption.NOFOLLOW_LINKS), "removed");
    }
}
