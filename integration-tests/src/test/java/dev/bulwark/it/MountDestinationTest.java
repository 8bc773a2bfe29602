package dev.bulwark.it;

import dev.bulwark.config.model.Mount;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mount destinations are resolved in the child, through file descriptors inside the root, after the
 * earlier mounts (CVE-2021-30465 class): a symlink swapped in during the launch, or shipped in the
 * image, never makes the launcher create or mount anything outside the root.
 */
class MountDestinationTest {
    private static final int RACE_LAUNCHES = 40;
    private static int counter;

    private static String newId(Mode mode) {
        return "it-mnt-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /**
     * A concurrent process keeps swapping the parent of a mount destination between a directory and
     * a symlink (absolute, or climbing with "..") to a world-writable host directory. Every launch
     * either runs or fails naming the mount; the host directory stays empty and no mount leaks.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDestinationSwappedForASymlinkDuringTheLaunchNeverReachesTheHost(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path host = worldWritableDirectory("bulwark-it-race-host");
        int[] raceIndex = new int[1];
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            raceIndex[0] = mounts.size();
            mounts.add(new Mount("/race/sub", "tmpfs", "tmpfs", List.of("size=1m")));
            return Containers.withArgs(spec, "/bin/true").withMounts(mounts);
        });
        Path race = bundle.resolve("rootfs/race");
        // The container's root may create /race when the racer has just removed it, as rootless it already can.
        Files.setPosixFilePermissions(race.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path relative = Path.of("../".repeat(bundle.resolve("rootfs").getNameCount() + 2) + host.toString().substring(1));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger swaps = new AtomicInteger();
        Thread racer = new Thread(() -> {
            List<Path> links = List.of(host, relative);
            for (int i = 0; !stop.get(); i++) {
                swap(race, i % 2 == 0 ? null : links.get((i / 2) % 2));
                swaps.incrementAndGet();
            }
        }, "mount-destination-racer");
        Set<String> mountsBefore = Containers.hostMounts();
        int ran = 0, refused = 0, escaped = 0;
        List<String> unexpected = new ArrayList<>();
        Map<String, Integer> refusals = new TreeMap<>();
        racer.start();
        try {
            for (int i = 0; i < RACE_LAUNCHES; i++) {
                Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
                if (result.exitCode() == 0) {
                    ran++;
                } else if (result.exitCode() == 125 && result.errors().matches("bulwark: .*mounts\\[" + raceIndex[0] + "].*\\n")) {
                    refused++;
                    refusals.merge(result.errors().trim(), 1, Integer::sum);
                } else {
                    unexpected.add("exit " + result.exitCode() + ": " + result.errors().trim());
                }
                if (!entries(host).isEmpty()) {
                    escaped++; // counted, then cleared, so one run measures how often the hole opens
                    unexpected.add("launch " + (i + 1) + " created " + entries(host) + " in " + host);
                    clear(host);
                }
            }
        } finally {
            stop.set(true);
            racer.join();
            Bundles.delete(bundle);
        }
        System.out.printf("mount destination race (%s): %d launches, %d ran, %d refused, %d created a host entry, %d swaps%n",
                mode, RACE_LAUNCHES, ran, refused, escaped, swaps.get());
        refusals.forEach((message, count) -> System.out.println("  refused " + count + "x: " + message));
        unexpected.forEach(line -> System.out.println("  unexpected: " + line));
        try {
            assertEquals(0, escaped, "launches that created something at the host target");
            Containers.assertNoMountAdded(mountsBefore, "no mount appeared on the host");
            assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(host.toString()), "no host mount on the target");
            assertEquals(List.of(), unexpected, "every launch ran or was refused naming the mount");
            assertTrue(ran > 0, "some launches saw the directory and ran");
        } finally {
            Cli.deleteTree(host);
        }
    }

    /** An absolute symlink in the image resolves from the container's root, as the container sees it. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void anAbsoluteSymlinkDestinationResolvesInsideTheRoot(Mode mode) throws Exception {
        mode.assumeAvailable();
        String name = "bulwark-it-abs-" + ProcessHandle.current().pid() + "-" + (++counter);
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("/link/sub", "tmpfs", "tmpfs", List.of("size=1m")));
            return Containers.withArgs(spec, "/bin/sh", "-c", "grep -c ' /" + name + "/sub tmpfs ' /proc/mounts").withMounts(mounts);
        });
        try {
            Files.createDirectories(bundle.resolve("rootfs/" + name));
            Files.createSymbolicLink(bundle.resolve("rootfs/link"), Path.of("/" + name));
            chownForMode(mode, bundle.resolve("rootfs/" + name));
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("1", result.stdout().trim(), "the tmpfs is on the root's /" + name + "/sub: " + result.describe());
            assertTrue(Files.isDirectory(bundle.resolve("rootfs/" + name + "/sub")), "created inside the root");
            assertFalse(Files.exists(Path.of("/" + name)), "nothing created at the host's /" + name);
        } finally {
            Bundles.delete(bundle);
        }
    }

    /**
     * A destination under an earlier mount resolves against the mounted tree, not the image: the
     * image's data/sub is a symlink to /etc, but the tmpfs on /data hides it, so the bind lands in the tmpfs.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDestinationUnderAnEarlierMountResolvesInTheMountedTree(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path source = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-nested",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.writeString(source.resolve("marker"), "from the bind source\n");
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("/data", "tmpfs", "tmpfs", List.of("size=1m")));
            mounts.add(new Mount("/data/sub", "bind", source.toString(), List.of("rbind", "ro")));
            return Containers.withArgs(spec, "/bin/sh", "-c", "cat /data/sub/marker; ls /etc").withMounts(mounts);
        });
        try {
            Files.createDirectories(bundle.resolve("rootfs/data"));
            Files.createSymbolicLink(bundle.resolve("rootfs/data/sub"), Path.of("/etc"));
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(List.of("from the bind source", "passwd"), result.stdout().lines().toList(),
                    "the bind is in the tmpfs on /data, /etc is untouched: " + result.describe());
        } finally {
            Bundles.delete(bundle);
            Cli.deleteTree(source);
        }
    }

    /** null: a directory the container may create in; otherwise a symlink to {@code link}. Failures are part of the race. */
    private static void swap(Path race, Path link) {
        try {
            if (Files.isSymbolicLink(race)) {
                Files.delete(race);
            } else if (Files.exists(race)) {
                Cli.deleteTree(race);
            }
            if (link == null) {
                Files.createDirectory(race);
                Files.setPosixFilePermissions(race, PosixFilePermissions.fromString("rwxrwxrwx"));
            } else {
                Files.createSymbolicLink(race, link);
            }
        } catch (IOException | UncheckedIOException e) {
            // a launch created or is using it meanwhile: try again
        }
    }

    private static void clear(Path directory) throws IOException {
        try (Stream<Path> list = Files.list(directory)) {
            list.forEach(Cli::deleteTree);
        }
    }

    private static Path worldWritableDirectory(String prefix) throws IOException {
        Path directory = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx"));
        return directory;
    }

    private static List<String> entries(Path directory) throws IOException {
        try (Stream<Path> list = Files.list(directory)) {
            return list.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static void chownForMode(Mode mode, Path path) throws Exception {
        if (mode == Mode.ROOTLESS) {
            Process p = new ProcessBuilder("chown", Mode.rootlessUid() + ":" + Mode.rootlessGid(), path.toString()).inheritIO().start();
            assertEquals(0, p.waitFor());
        } else {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
    }
}
