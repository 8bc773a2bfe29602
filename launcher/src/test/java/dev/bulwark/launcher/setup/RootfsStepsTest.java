package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.nativ.spawn.SyscallTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The compiled steps of the root: no mount destination is ever named by a host path (CVE-2021-30465
 * class), and the rootfs and bind sources are looked up once, by their canonical path, then used by fd.
 */
class RootfsStepsTest {
    @TempDir
    Path bundle;

    @Test
    void onlyTheRootItselfIsNamedByAHostPathAndNestedDestinationsOpenAfterTheirParentMount() throws IOException {
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs")).toRealPath();
        Path source = Files.createDirectories(bundle.resolve("source"));
        Spec defaults = HardenedDefaults.spec(DefaultsOptions.root());
        List<Mount> mounts = new ArrayList<>(defaults.mounts());
        int data = mounts.size();
        mounts.add(new Mount("/data", "tmpfs", "tmpfs", List.of("size=1m")));
        mounts.add(new Mount("/data/sub", "bind", source.toString(), List.of("rbind", "ro")));
        ContainerContext context = new ContainerContext("t", defaults.withMounts(mounts), bundle, rootfs, false, false, 0, 0, List.of());
        try (SyscallTable table = new SyscallTable()) {
            ChildSteps steps = new ChildSteps(table, -1);
            new RootfsSteps(steps, context).compile(() -> { });
            List<String> names = table.steps();
            List<String> byHostPath = names.stream().filter(name -> name.contains(rootfs.toString())).toList();
            assertEquals(List.of("root.path: open " + rootfs + " (canonical, no symlink followed)",
                    "root.path: clone the root filesystem " + rootfs, "pivot_root into " + rootfs), byHostPath);
            assertEquals(names.indexOf("pivot_root into " + rootfs) - 2, names.indexOf("change directory to the root's fd"),
                    "pivot_root's directory is the root's fd, not a path");
            Path realSource = source.toRealPath();
            int sourceOpened = names.indexOf("mounts[" + (data + 1) + "].source: open " + realSource + " (canonical, no symlink followed)");
            int sourceCloned = names.indexOf("mounts[" + (data + 1) + "].source: clone " + realSource);
            assertTrue(sourceOpened >= 0 && sourceCloned == sourceOpened + 1, "the bind source is cloned from its fd: " + names);
            int parentMounted = names.indexOf("mount tmpfs on /data (mounts[" + data + "])");
            int nestedOpened = names.indexOf("mounts[" + (data + 1) + "].destination /data/sub: open /data/sub inside the root");
            assertTrue(parentMounted >= 0 && nestedOpened > parentMounted, "the nested destination opens in the mounted tree: " + names);
        }
    }

    @Test
    void aDeviceIsMadeUnderATemporaryNameAndTheUmaskIsZeroForItsMknodOnly() throws IOException {
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs")).toRealPath();
        Spec defaults = HardenedDefaults.spec(DefaultsOptions.root());
        var l = defaults.linux();
        var device = new dev.bulwark.config.model.LinuxDevice("/dev/test1", "c", 10L, 666L, 0660L, 7L, 8L);
        Spec spec = defaults.withLinux(new dev.bulwark.config.model.Linux(l.uidMappings(), l.gidMappings(), l.sysctl(), l.resources(),
                l.cgroupsPath(), l.namespaces().stream().filter(n -> !n.type().equals("user")).toList(), List.of(device),
                l.seccomp(), l.rootfsPropagation(), l.maskedPaths(), l.readonlyPaths(), l.mountLabel(), l.intelRdt(),
                l.personality(), l.timeOffsets()));
        ContainerContext context = new ContainerContext("t", spec, bundle, rootfs, false, false, 0, 0, List.of());
        try (SyscallTable table = new SyscallTable()) {
            new RootfsSteps(new ChildSteps(table, -1), context).compile(() -> { });
            List<String> names = table.steps();
            int first = names.indexOf("linux.devices[0]: umask 0 for /dev/test1");
            assertTrue(first >= 0, names.toString());
            assertEquals(List.of("linux.devices[0]: umask 0 for /dev/test1",
                    "linux.devices[0]: make c 10:666 mode 660 for /dev/test1",
                    "linux.devices[0]: the umask from before",
                    "linux.devices[0]: owner 7:8 of the new node",
                    "linux.devices[0]: link the node at /dev/test1",
                    "linux.devices[0]: remove the temporary name"), names.subList(first, first + 6));
            assertEquals("tolerates EEXIST", table.entry(first + 4).judgement(), "an existing entry is left alone");
            assertEquals("", table.entry(first + 1).judgement(), "the temporary name must be new");
        }
    }

    @Test
    void defaultDeviceNodesAreMadeInTheOneFdOfDevOpenedAfterTheMounts() throws IOException {
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs")).toRealPath();
        ContainerContext context = new ContainerContext("t", HardenedDefaults.spec(DefaultsOptions.root()), bundle, rootfs,
                false, false, 0, 0, List.of());
        try (SyscallTable table = new SyscallTable()) {
            new RootfsSteps(new ChildSteps(table, -1), context).compile(() -> { });
            List<String> names = table.steps();
            int dev = names.indexOf("linux.devices /dev: open /dev inside the root");
            assertTrue(dev >= 0, names.toString());
            for (String device : RootfsSteps.DEFAULT_DEVICES) {
                String label = "linux.devices " + device;
                int made = names.indexOf(label + ": create file " + device);
                assertTrue(made > dev, "made after /dev was opened: " + names);
                assertEquals(dev, table.entry(made).argumentSource(0), device + " is made in the fd of /dev");
                assertEquals("tolerates EEXIST", table.entry(made).judgement());
                int opened = names.indexOf(label + ": open " + device + " inside the root");
                assertEquals(made + 1, opened, "then opened from the root, inside it");
                assertFalse(names.contains(label + ": open /dev inside the root"), "/dev is not opened again for " + device);
                assertFalse(names.contains(label + ": create directory /dev"), "/dev is not made again for " + device);
            }
        }
    }
}
