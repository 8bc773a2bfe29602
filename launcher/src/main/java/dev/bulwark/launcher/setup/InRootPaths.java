package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import java.util.ArrayList;
import java.util.List;

import static dev.bulwark.nativ.constants.MountApi.*;

/**
 * Paths inside the container's root, reached in the child only through file descriptors
 * (CVE-2021-30465 class). The root is an fd of the mounted root (see {@link RootfsSteps}); every path is opened from
 * that fd with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so a symlink, absolute or climbing
 * with "..", resolves as it would inside the container and never leaves the root, whatever another
 * process swaps in meanwhile. A missing component is created with mkdirat (mknodat for a file) in
 * the fd of its parent, never under a path looked up again. The opens run when the child reaches
 * them, after the earlier mounts: a destination under an earlier mount resolves in the mounted tree.
 */
final class InRootPaths {
    private static final int S_IFREG = 0100000;

    private final ChildSteps steps;
    private final Entry root;

    /** @param root an fd of the mounted root (its owner closes it, after pivot_root) */
    InRootPaths(ChildSteps steps, Entry root) {
        this.steps = steps;
        this.root = root;
    }

    /**
     * An O_PATH fd of {@code path} inside the root, creating each missing component on the way: a
     * directory, or an empty file for the last one when {@code directory} is false.
     *
     * @param label what the steps are for in error messages, e.g. {@code mounts[3].destination /data}
     */
    Entry create(String path, boolean directory, String label) {
        List<String> components = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                components.add(part);
            }
        }
        if (components.isEmpty()) {
            return open("/", true, label);
        }
        Entry parent = root;
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < components.size(); i++) {
            String name = components.get(i);
            prefix.append('/').append(name);
            boolean last = i == components.size() - 1;
            boolean isDirectory = !last || directory;
            makeIn(parent, name, prefix.toString(), isDirectory, label);
            Entry opened = open(prefix.toString(), isDirectory, label);
            if (parent != root) {
                close(parent, label);
            }
            parent = opened;
        }
        return parent;
    }

    /**
     * As {@link #create} for {@code parentPath + "/" + name}, when the caller already holds {@code parent}, an fd of
     * {@code parentPath} that this class opened inside the root after the last mount that could cover it: the
     * entry is made in that fd (mknodat or mkdirat, as create's last component) and opened from the root as create
     * does, without opening and closing every directory above it again.
     */
    Entry createIn(Entry parent, String parentPath, String name, boolean directory, String label) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a single path component: \"" + name + "\"");
        }
        String path = (parentPath.endsWith("/") ? parentPath : parentPath + "/") + name;
        makeIn(parent, name, path, directory, label);
        return open(path, directory, label);
    }

    /** The step that makes {@code name} in {@code parent}'s fd unless it exists: a directory, or an empty file to mount on. */
    private void makeIn(Entry parent, String name, String path, boolean directory, String label) {
        if (directory) {
            steps.step(label + ": create directory " + path, "a missing directory, made in its parent's fd, never by path",
                    "mkdirat", 0, steps.string(name), 0755).argumentFrom(0, parent).tolerate(Errno.EEXIST);
        } else {
            // mknodat never opens what exists: a FIFO or a device node planted in an image cannot block or arm.
            steps.step(label + ": create file " + path, "an empty file to mount on, made in its parent's fd",
                    "mknodat", 0, steps.string(name), S_IFREG | 0644, 0).argumentFrom(0, parent).tolerate(Errno.EEXIST);
        }
    }

    /** An O_PATH fd of {@code path} resolved inside the root; it must exist. */
    Entry open(String path, boolean directory, String label) {
        return steps.step(label + ": open " + path + " inside the root",
                "resolved from the root's fd: a symlink resolves inside the root, never out to the host", "openat2", 0,
                steps.string(path), openHow(directory ? OpenFlags.O_DIRECTORY : 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
                OPEN_HOW_SIZE).argumentFrom(0, root);
    }

    void close(Entry fd, String label) {
        steps.step(label + ": close an fd", "done with it", "close", 0).argumentFrom(0, fd);
    }

    private long openHow(long extraFlags, long resolve) {
        return HostPathFds.openHow(steps, extraFlags, resolve);
    }
}
