package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.ContainerNetwork;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.bulwark.nativ.constants.MountFlags.*;

/**
 * The zero-download root: a fresh tmpfs holding the host's /usr read-only, the usual top-level links
 * (/bin -> usr/bin on a merged-/usr host), and a minimal /etc written for the container. Only the
 * /etc entries programs need to start are bound from the host (the dynamic linker's cache, Debian's
 * alternatives links, the JDK's configuration); passwords, keys and host configuration stay out.
 */
final class HostUsrRoot {
    static final List<String> TOP_LEVEL = List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32");
    /** Host /etc entries bound read-only (when present): what dynamic linking and common runtimes read. */
    static final List<String> HOST_ETC = List.of("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives",
            "localtime", "ssl");
    private static final long READ_ONLY_BIND = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV;

    private final ChildSteps steps;
    private final String root;
    private final Spec spec;

    HostUsrRoot(ChildSteps steps, String root, Spec spec) {
        this.steps = steps;
        this.root = root;
        this.spec = spec;
    }

    void compile() {
        steps.mount("mount a tmpfs as the new root", "the root is assembled in memory; nothing on the host is modified",
                "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=" + (writableRoot() ? "64m" : "16m"));
        bindReadOnly(Path.of("/usr"), root + "/usr");
        for (String name : TOP_LEVEL) {
            Path host = Path.of("/", name);
            if (Files.isSymbolicLink(host)) {
                steps.symlink(readLink(host), root + "/" + name);
            } else if (Files.isDirectory(host)) {
                bindReadOnly(host, root + "/" + name);
            }
        }
        etc();
        for (String dir : List.of("root", "tmp", "var", "run", "home")) {
            steps.mkdir(root + "/" + dir, dir.equals("tmp") ? 01777 : 0755);
        }
    }

    /** root.readonly false (run --read-only=false): the root tmpfs takes the container's writes, so it gets /tmp's size. */
    private boolean writableRoot() {
        return spec.root() != null && Boolean.FALSE.equals(spec.root().readonly());
    }

    private void etc() {
        String etc = root + "/etc";
        steps.mkdir(etc, 0755);
        String hostname = spec.hostname() == null ? "localhost" : spec.hostname();
        steps.writeFile(etc + "/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", 0644);
        steps.writeFile(etc + "/group", "root:x:0:\nnogroup:x:65534:\n", 0644);
        steps.writeFile(etc + "/hostname", hostname + "\n", 0644);
        steps.writeFile(etc + "/hosts", "127.0.0.1\tlocalhost " + hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n", 0644);
        steps.writeFile(etc + "/resolv.conf", ContainerNetwork.resolvConf(spec), 0644); // per --network
        steps.writeFile(etc + "/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n", 0644);
        List<Path> entries = new ArrayList<>();
        for (String name : HOST_ETC) {
            entries.add(Path.of("/etc", name));
        }
        try (DirectoryStream<Path> java = Files.newDirectoryStream(Path.of("/etc"), "java-*")) {
            java.forEach(entries::add); // Debian's JDKs link their conf/ to /etc/java-N-openjdk
        } catch (IOException e) {
            // no /etc/java-* on this host: nothing to bind
        }
        for (Path host : entries) {
            if (Files.exists(host)) {
                bindReadOnly(host, etc + "/" + host.getFileName());
            }
        }
    }

    private void bindReadOnly(Path host, String target) {
        if (Files.isDirectory(host)) {
            steps.mkdir(target, 0755);
        } else {
            steps.touch(target);
        }
        steps.mount("bind host " + host, "share the host's " + host + " with the container, read-only",
                host.toString(), target, null, MS_BIND | MS_REC, null);
        steps.changeMount("make " + host + " read-only", "the container may read and run it, never change it",
                target, READ_ONLY_BIND | LockedMountFlags.of(spec, host, 0));
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            throw new dev.bulwark.launcher.LaunchException("default root: cannot read " + link + ": " + e.getMessage(), e);
        }
    }
}
