package dev.bulwark.it;

import dev.bulwark.config.model.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Spec edits and leftover checks shared by the container tests. */
public final class Containers {
    private Containers() {
    }

    public static Spec withArgs(Spec spec, String... args) {
        return spec.withProcess(spec.process().withArgs(List.of(args)));
    }

    public static Spec withCwd(Spec spec, String cwd) {
        return spec.withProcess(spec.process().withCwd(cwd));
    }

    /** CLI arguments for a bundle run with the mode's state root. */
    public static List<String> runBundle(Mode mode, Path bundle, String id) {
        return new ArrayList<>(List.of("run", "--bundle", bundle.toString(), "--id", id, "--root", stateRoot(mode).toString()));
    }

    /** CLI arguments for a built-in default run of {@code command}. */
    public static List<String> runDefault(Mode mode, String id, String... command) {
        List<String> args = new ArrayList<>(List.of("run", "--id", id, "--root", stateRoot(mode).toString(), "--"));
        args.addAll(List.of(command));
        return args;
    }

    /** The per-mode state root, created so the mode's user can write it. */
    public static Path stateRoot(Mode mode) {
        Path root = Cli.stateRoot(mode);
        try {
            Files.createDirectories(root.getParent());
            if (!Files.exists(root)) {
                Files.createDirectories(root);
                if (mode == Mode.ROOTLESS) {
                    new ProcessBuilder("chown", Mode.rootlessUid() + ":" + Mode.rootlessGid(), root.toString())
                            .inheritIO().start().waitFor();
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return root;
    }

    /** Nothing left behind: no state directory, no process, no mount mentioning the container id. */
    public static void assertNothingLeft(Mode mode, String id, Set<String> hostMountsBefore) {
        assertEquals(false, Files.exists(stateRoot(mode).resolve(id)), "state directory of " + id + " removed");
        assertEquals(List.of(), processesMentioning(id), "no process of " + id + " left");
        assertNoMountAdded(hostMountsBefore, "host mount table: nothing added");
    }

    /**
     * The host's mounts as this JVM sees them, each as "mount point, type, source": compared as a set,
     * so that a mount another process of the machine removes meanwhile is no failure, but one added is.
     */
    public static Set<String> hostMounts() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(Containers::mountKey).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Mounts present now that were not in {@code before}. */
    public static Set<String> mountsAddedSince(Set<String> before) {
        Set<String> added = new java.util.TreeSet<>(hostMounts());
        added.removeAll(before);
        return added;
    }

    public static void assertNoMountAdded(Set<String> before, String message) {
        assertEquals(Set.of(), mountsAddedSince(before), message);
    }

    /** mountinfo fields 5 (mount point) and, after the " - " separator, type and source. */
    private static String mountKey(String line) {
        String[] fields = line.split(" ");
        int separator = List.of(fields).indexOf("-");
        return fields[4] + " " + fields[separator + 1] + " " + fields[separator + 2];
    }

    /** Pids whose command line contains {@code text} (other than this JVM). */
    public static List<Long> processesMentioning(String text) {
        List<Long> found = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            if (p.pid() != ProcessHandle.current().pid()) {
                try {
                    byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
                    if (new String(cmdline).contains(text)) {
                        found.add(p.pid());
                    }
                } catch (IOException ignored) {
                    // exited meanwhile
                }
            }
        });
        return found;
    }
}
