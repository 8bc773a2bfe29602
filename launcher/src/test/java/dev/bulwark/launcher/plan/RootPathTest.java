package dev.bulwark.launcher.plan;

import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Resolution on a real directory tree with real symlinks. */
class RootPathTest {
    @TempDir
    Path root;

    @Test
    void plainAndMissingComponentsStayUnderTheRoot() throws IOException {
        Files.createDirectories(root.resolve("etc"));
        assertEquals(root.resolve("etc/app/conf"), RootPath.resolve(root, "/etc/app/conf", "m"));
        assertEquals(root.resolve("etc"), RootPath.resolve(root, "/./etc/", "m"));
    }

    @Test
    void absoluteLinksResolveFromTheContainersRoot() throws IOException {
        Files.createDirectories(root.resolve("run"));
        Files.createDirectories(root.resolve("var"));
        Files.createSymbolicLink(root.resolve("var/run"), Path.of("/run"));
        assertEquals(root.resolve("run/lock"), RootPath.resolve(root, "/var/run/lock", "m"));
    }

    @Test
    void relativeLinksInsideTheRootAreFollowed() throws IOException {
        Files.createDirectories(root.resolve("usr/lib"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        assertEquals(root.resolve("usr/lib/modules"), RootPath.resolve(root, "/lib/modules", "m"));
    }

    @Test
    void linksClimbingAboveTheRootAreRefusedNamingTheLink() throws IOException {
        Files.createDirectories(root.resolve("a"));
        Files.createSymbolicLink(root.resolve("a/out"), Path.of("../../etc"));
        LaunchException e = assertThrows(LaunchException.class, () -> RootPath.resolve(root, "/a/out/passwd", "mounts[3].destination"));
        assertEquals("mounts[3].destination: \"/a/out/passwd\" escapes the root through symlink /a/out -> ../../etc", e.getMessage());
    }

    @Test
    void dotDotAboveTheRootIsRefused() {
        LaunchException e = assertThrows(LaunchException.class, () -> RootPath.resolve(root, "/../etc", "mounts[0].destination"));
        assertEquals("mounts[0].destination: \"/../etc\" leaves the root through \"..\"", e.getMessage());
    }

    @Test
    void symlinkLoopsEnd() throws IOException {
        Files.createSymbolicLink(root.resolve("loop"), Path.of("loop"));
        LaunchException e = assertThrows(LaunchException.class, () -> RootPath.resolve(root, "/loop/x", "m"));
        assertTrue(e.getMessage().contains("too many levels of symbolic links"), e.getMessage());
    }
}
