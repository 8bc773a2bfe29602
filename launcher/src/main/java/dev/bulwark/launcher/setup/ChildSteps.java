package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallNumbers;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable;
import dev.bulwark.nativ.spawn.SyscallTable.Entry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed helpers that append syscalls to the child's {@link SyscallTable}, each with a short step
 * name (used in error messages: "mount proc on /proc: EPERM (...)"), a plain-words explanation
 * (shown by {@code bulwark run --explain}) and the config field that asks for it (set with
 * {@link #field} before a group of steps). Nothing here runs anything: it only writes the table, and
 * {@link #plan()} reads the same steps back as data.
 */
public final class ChildSteps {
    private static final SyscallNumbers NR = SyscallNumbers.host();
    private static final int S_IFREG = 0100000;

    private final SyscallTable table;
    private final NativeMemory memory;
    private final List<String> explanations = new ArrayList<>();
    /** What the table alone does not say about each planned step (progress reports are not steps). */
    private final List<Declared> declared = new ArrayList<>();
    private final int progressFd;
    /** The attached root of each writable data mount, by destination, kept open for Landlock's rule (see RootfsSteps). */
    private final java.util.Map<String, Entry> mountRoots = new java.util.LinkedHashMap<>();
    private String field = PlannedStep.LAUNCHER;

    private record Declared(int tableIndex, String syscall, String configField, String why) {
    }

    /** @param progressFd when >= 0, the child reports each step's index there before running it */
    public ChildSteps(SyscallTable table, int progressFd) {
        this.table = table;
        this.memory = table.memory();
        this.progressFd = progressFd;
    }

    public SyscallTable table() {
        return table;
    }

    public NativeMemory memory() {
        return memory;
    }

    /** The explanation of table entry {@code index} (null for bookkeeping entries). */
    public String explanation(int index) {
        return index >= 0 && index < explanations.size() ? explanations.get(index) : null;
    }

    /** The config field the steps appended from now on carry ({@link PlannedStep#LAUNCHER} for the launcher's own). */
    public void field(String configField) {
        field = java.util.Objects.requireNonNull(configField);
    }

    /**
     * The plan index of table entry {@code tableIndex} (what the child's progress reports name), or -1
     * for an entry that is not a planned step (a progress report, a fork's hand-over close).
     */
    public int stepOfEntry(int tableIndex) {
        for (int i = 0; i < declared.size(); i++) {
            if (declared.get(i).tableIndex() == tableIndex) {
                return i;
            }
        }
        return -1;
    }

    /** The steps appended so far, as data: the same table, read back with each step's config field and why. */
    public SetupPlan plan() {
        int[] stepOfEntry = new int[table.size()];
        for (int i = 0; i < declared.size(); i++) {
            stepOfEntry[declared.get(i).tableIndex()] = i;
        }
        List<PlannedStep> steps = new ArrayList<>();
        for (int i = 0; i < declared.size(); i++) {
            Declared step = declared.get(i);
            Entry entry = table.entry(step.tableIndex());
            steps.add(new PlannedStep(i, entry.step(), step.syscall(),
                    ArgumentText.of(entry, step.syscall(), memory, source -> stepOfEntry[source]),
                    step.configField(), step.why(), entry.judgement(), entry.kind()));
        }
        return new SetupPlan(steps);
    }

    /** Appends one step: a raw syscall with its name and explanation. */
    public Entry step(String name, String why, String syscall, long... args) {
        reportProgress();
        explanations.add(why);
        Entry entry = table.add(name, NR.require(syscall), args);
        declared.add(new Declared(entry.index(), syscall, field, why));
        return entry;
    }

    /** Appends a fork step (and the new process's close of the hand-over pipe): see {@link SyscallTable#addFork}. */
    public Entry fork(String name, String why, long flags) {
        reportProgress();
        explanations.add(why);
        explanations.add(null); // the hand-over pipe's close
        Entry entry = table.addFork(name, flags);
        declared.add(new Declared(entry.index(), "clone", field, why));
        return entry;
    }

    private void reportProgress() {
        if (progressFd >= 0) {
            long index = memory.allocate(4);
            NativeMemory.putInt(index, table.size() + 1); // the entry after this report
            table.add("report progress", NR.require("write"), progressFd, index, 4).mustEqual(4);
            explanations.add(null);
        }
    }

    /** Keeps the fd of the mount attached at {@code destination} for a Landlock rule; an earlier one there is closed. */
    void keepMountRoot(String destination, Entry attached) {
        Entry earlier = mountRoots.put(destination, attached);
        if (earlier != null) {
            step("close the earlier mount's fd at " + destination, "a later mount covers it", "close", 0).argumentFrom(0, earlier);
        }
    }

    /** The kept fd of the mount at {@code destination}, or null. */
    Entry mountRoot(String destination) {
        return mountRoots.get(destination);
    }

    /** Closes every kept mount fd: Landlock's rules are made. */
    void closeMountRoots() {
        mountRoots.forEach((destination, fd) ->
                step("close the fd of the mount at " + destination, "Landlock's rules are made", "close", 0).argumentFrom(0, fd));
        mountRoots.clear();
    }

    public long string(String value) {
        return memory.cString(value);
    }

    // --- files and mounts ---

    public Entry mount(String name, String why, String source, String target, String type, long flags, String data) {
        return step(name, why, "mount", pointer(source), string(target), pointer(type), flags, pointer(data));
    }

    /** mount(NULL, target, NULL, flags, NULL): remounts and propagation changes. */
    public Entry changeMount(String name, String why, String target, long flags) {
        return step(name, why, "mount", 0, string(target), 0, flags, 0);
    }

    public Entry mkdir(String path, int mode) {
        return step("create directory " + path, "make a mount point", "mkdirat",
                OpenFlags.AT_FDCWD, string(path), mode).tolerate(Errno.EEXIST);
    }

    /**
     * Creates an empty file (a mount point for a file bind mount) unless something is there already.
     * mknodat never opens what exists: a FIFO or a device node planted in an image cannot block or arm.
     */
    public void touch(String path) {
        step("create file " + path, "make a mount point for a file", "mknodat", OpenFlags.AT_FDCWD, string(path),
                S_IFREG | 0644, 0).tolerate(Errno.EEXIST);
    }

    /** Writes {@code content} to a new file (used to build /etc in the default root). */
    public void writeFile(String path, String content, int mode) {
        writeThrough("create file " + path, "write a file the container needs", path,
                OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC | OpenFlags.O_CLOEXEC | OpenFlags.O_NOFOLLOW,
                mode, content);
    }

    /** Writes {@code content} to an existing file such as /proc/sys/... or /proc/self/... . */
    public void writeExisting(String name, String why, String path, String content) {
        writeThrough(name, why, path, OpenFlags.O_WRONLY | OpenFlags.O_CLOEXEC | OpenFlags.O_NOFOLLOW, 0, content);
    }

    /**
     * Writes {@code content} to an existing file under the directory fd {@code directory} (e.g. a procfs the
     * launcher opened): its path is resolved there, never in a mount namespace the container controls.
     */
    public void writeExistingUnder(String name, String why, int directory, String path, String content) {
        writeThrough(name, why, directory, path, OpenFlags.O_WRONLY | OpenFlags.O_CLOEXEC | OpenFlags.O_NOFOLLOW, 0, content);
    }

    private void writeThrough(String name, String why, String path, int flags, int mode, String content) {
        writeThrough(name, why, OpenFlags.AT_FDCWD, path, flags, mode, content);
    }

    /** open, write all of {@code content}, close: the fd travels between the entries as a result reference. */
    private void writeThrough(String name, String why, int directory, String path, int flags, int mode, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Entry open = step(name, why, "openat", directory, string(path), flags, mode);
        step("write " + path, why, "write", 0, memory.bytes(bytes, false), bytes.length)
                .argumentFrom(0, open).mustEqual(bytes.length);
        step("close " + path, why, "close", 0).argumentFrom(0, open);
    }

    public Entry symlink(String target, String linkPath) {
        return step("create symlink " + linkPath + " -> " + target, "a standard link the container expects",
                "symlinkat", string(target), OpenFlags.AT_FDCWD, string(linkPath));
    }

    public Entry chdir(String path, String why) {
        return step("change directory to " + path, why, "chdir", string(path));
    }

    private long pointer(String value) {
        return value == null ? 0 : string(value);
    }
}
