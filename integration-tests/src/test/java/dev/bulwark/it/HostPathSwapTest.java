package dev.bulwark.it;

import dev.bulwark.config.model.Mount;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
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
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Host paths the child mounts from (the bundle's rootfs, bind sources) are looked up once, without
 * following symlinks, and used by fd: a directory swapped for a symlink while the child sets up
 * never leads a bind or pivot_root elsewhere. The racer starts once state.json records the child,
 * that is after the launcher resolved every path: a symlink there before the launch is what the
 * config asks for (root.path and mounts[].source may be symlinks), one swapped in after it is an attack.
 */
class HostPathSwapTest {
    private static final int RACE_LAUNCHES = 40;
    private static final Pattern CHILD_RECORDED = Pattern.compile("\"pid\"\\s*:\\s*[1-9]");
    private static int counter;

    private static String newId(Mode mode) {
        return "it-swap-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /**
     * The bundle's rootfs keeps being swapped for a symlink to a decoy root on the host (a copy with
     * its own marker) while the child sets up. A launch runs in the real rootfs, or fails naming
     * root.path; it never runs in the decoy, and nothing is created in the decoy or mounted on the host.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aRootfsSwappedForASymlinkDuringTheLaunchNeverBecomesTheRoot(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/cat", "/marker"));
        Path decoy = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-decoy-root",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            Path rootfs = bundle.resolve("rootfs");
            Files.writeString(rootfs.resolve("marker"), "real rootfs\n");
            chownForMode(mode, rootfs.resolve("marker"));
            copyTree(rootfs, decoy);
            Files.writeString(decoy.resolve("marker"), "host decoy\n");
            List<String> decoyBefore = listTree(decoy);
            Outcomes outcomes = race(mode, bundle, new Swapper(rootfs, bundle.resolve("rootfs.real"), decoy),
                    "real rootfs", "host decoy", Pattern.compile("bulwark: root\\.path: .*\\n"));
            outcomes.print("rootfs swap (" + mode + ")");
            assertEquals(0, outcomes.escaped, "launches that ran in the decoy");
            assertEquals(List.of(), outcomes.unexpected, "every launch ran in the real rootfs or was refused naming root.path");
            assertEquals(decoyBefore, listTree(decoy), "nothing was created in the decoy");
            Containers.assertNoMountAdded(outcomes.mountsBefore, "no mount appeared on the host");
            assertTrue(outcomes.ran > 0, "some launches ran: " + outcomes.refusals);
            assertTrue(outcomes.raced > 0, "the racer swapped during some launches");
        } finally {
            Bundles.delete(bundle);
            Cli.deleteTree(decoy);
        }
    }

    /**
     * A bind source in a volume another container could write (the Kubernetes subPath class) keeps
     * being swapped for a symlink to the host's / while the child sets up. The container sees the
     * volume, or the launch fails naming the mount's source; the host's root never shows through the bind.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aBindSourceSwappedForASymlinkToTheHostRootNeverShowsTheHostRoot(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path volume = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-volume",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path data = Files.createDirectory(volume.resolve("data"));
        Files.writeString(data.resolve("marker"), "volume data\n");
        int[] index = new int[1];
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("/mnt", "tmpfs", "tmpfs", List.of("size=1m"))); // where the container's root may create mount points
            index[0] = mounts.size();
            mounts.add(new Mount("/mnt/volume", "bind", data.toString(), List.of("rbind", "ro")));
            // /usr/bin exists in the host's root, never in the volume
            return Containers.withArgs(spec, "/bin/sh", "-c", "cat /mnt/volume/marker; if test -e /mnt/volume/usr/bin; then echo host root; fi")
                    .withMounts(mounts);
        });
        try {
            Files.createDirectory(bundle.resolve("rootfs/mnt"));
            Outcomes outcomes = race(mode, bundle, new Swapper(data, volume.resolve("data.real"), Path.of("/")),
                    "volume data", "host root", Pattern.compile("bulwark: mounts\\[" + index[0] + "]\\.source: .*\\n"));
            outcomes.print("bind source swap (" + mode + ")");
            assertEquals(0, outcomes.escaped, "launches that showed the host's root through the bind");
            assertEquals(List.of(), outcomes.unexpected, "every launch saw the volume or was refused naming the source");
            Containers.assertNoMountAdded(outcomes.mountsBefore, "no mount appeared on the host");
            assertTrue(outcomes.ran > 0, "some launches ran: " + outcomes.refusals);
            assertTrue(outcomes.raced > 0, "the racer swapped during some launches");
        } finally {
            Bundles.delete(bundle);
            Cli.deleteTree(volume);
        }
    }

    /** A bind source with symlinks on its path (here a link to a directory, then a subdirectory) is resolved and bound. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aBindSourceThroughALegitimateSymlinkIsBound(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path directory = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-linked",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.createDirectories(directory.resolve("real/sub"));
        Files.writeString(directory.resolve("real/sub/marker"), "through the link\n");
        Files.createSymbolicLink(directory.resolve("link"), Path.of("real"));
        Files.createSymbolicLink(directory.resolve("file-link"), Path.of("real/sub/marker"));
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("/mnt", "tmpfs", "tmpfs", List.of("size=1m")));
            mounts.add(new Mount("/mnt/dir", "bind", directory.resolve("link/sub").toString(), List.of("rbind", "ro")));
            mounts.add(new Mount("/mnt/file", "bind", directory.resolve("file-link").toString(), List.of("bind", "ro")));
            return Containers.withArgs(spec, "/bin/sh", "-c", "cat /mnt/dir/marker /mnt/file").withMounts(mounts);
        });
        try {
            Files.createDirectory(bundle.resolve("rootfs/mnt"));
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(List.of("through the link", "through the link"), result.stdout().lines().toList(), result.describe());
        } finally {
            Bundles.delete(bundle);
            Cli.deleteTree(directory);
        }
    }

    /** How the launches of one race ended. */
    private static final class Outcomes {
        final Set<String> mountsBefore = Containers.hostMounts();
        int ran;
        int refused;
        int escaped;
        int raced;
        int swaps;
        final List<String> unexpected = new ArrayList<>();
        final Map<String, Integer> refusals = new TreeMap<>();

        void print(String what) {
            System.out.printf("%s: %d launches, %d raced, %d ran, %d refused, %d escaped, %d swaps%n",
                    what, RACE_LAUNCHES, raced, ran, refused, escaped, swaps);
            refusals.forEach((message, count) -> System.out.println("  refused " + count + "x: " + message));
            unexpected.forEach(line -> System.out.println("  unexpected: " + line));
        }
    }

    /**
     * Launches the bundle {@link #RACE_LAUNCHES} times; during each, once the child exists, the
     * swapper toggles its directory with a symlink until the launch ends, then puts the directory back.
     */
    private static Outcomes race(Mode mode, Path bundle, Swapper swapper, String expected, String escapeMarker,
                                 Pattern refusal) {
        Outcomes outcomes = new Outcomes();
        for (int i = 0; i < RACE_LAUNCHES; i++) {
            String id = newId(mode);
            Path state = Containers.stateRoot(mode).resolve(id).resolve("state.json");
            Cli.Running running = Cli.start(mode, Containers.runBundle(mode, bundle, id));
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger swaps = new AtomicInteger();
            Thread racer = new Thread(() -> {
                try {
                    while (!done.get() && !childRecorded(state)) {
                        Thread.onSpinWait();
                    }
                    while (!done.get()) {
                        swapper.toLink();
                        swapper.toDirectory();
                        swaps.incrementAndGet();
                    }
                } finally {
                    swapper.toDirectory();
                }
            }, "host-path-racer");
            racer.start();
            Cli.Result result;
            try {
                result = running.await(60);
            } finally {
                done.set(true);
                joinUninterruptibly(racer);
            }
            outcomes.swaps += swaps.get();
            if (swaps.get() > 0) {
                outcomes.raced++;
            }
            if (result.stdout().contains(escapeMarker)) {
                outcomes.escaped++;
                outcomes.unexpected.add("launch " + (i + 1) + " saw \"" + escapeMarker + "\": " + result.describe());
            } else if (result.exitCode() == 0 && result.stdout().equals(expected + "\n")) {
                outcomes.ran++;
            } else if (result.exitCode() == 125 && refusal.matcher(result.errors()).matches()) {
                outcomes.refused++;
                outcomes.refusals.merge(result.errors().trim().replaceAll("[0-9]+", "N"), 1, Integer::sum);
            } else {
                outcomes.unexpected.add("launch " + (i + 1) + ": " + result.describe());
            }
        }
        return outcomes;
    }

    private static boolean childRecorded(Path state) {
        try {
            return CHILD_RECORDED.matcher(Files.readString(state)).find();
        } catch (IOException e) {
            return false; // not written yet, or being replaced
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        while (true) {
            try {
                thread.join();
                return;
            } catch (InterruptedException e) {
                // the racer must have put the directory back before the next launch
            }
        }
    }

    /** Swaps {@code path}, a directory, for a symlink to {@code link} (the directory waits at {@code stash}) and back. */
    private record Swapper(Path path, Path stash, Path link) {
        void toLink() {
            try {
                Files.move(path, stash);
                Files.createSymbolicLink(path, link);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("racer: " + e.getMessage(), e);
            }
        }

        void toDirectory() {
            try {
                if (Files.isSymbolicLink(path)) {
                    Files.delete(path);
                }
                if (Files.isDirectory(stash, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(stash, path);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("racer: " + e.getMessage(), e);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Process copy = new ProcessBuilder("cp", "-a", from + "/.", to.toString()).inheritIO().start();
        try {
            assertEquals(0, copy.waitFor(), "cp -a " + from + " " + to);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static List<String> listTree(Path directory) throws IOException {
        try (Stream<Path> walk = Files.walk(directory)) {
            return walk.map(p -> directory.relativize(p).toString()).sorted().toList();
        }
    }

    private static void chownForMode(Mode mode, Path path) throws Exception {
        if (mode == Mode.ROOTLESS) {
            Process p = new ProcessBuilder("chown", Mode.rootlessUid() + ":" + Mode.rootlessGid(), path.toString()).inheritIO().start();
            assertEquals(0, p.waitFor());
        }
    }
}
