package dev.bulwark.nativ;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed wrappers for the {@code *at(2)} system calls, which act on a name relative to an open
 * directory file descriptor, plus {@code statx}, {@code getdents64} and {@code pidfd_open}. Thin: the
 * caller picks the flags (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, ...); each failure throws
 * {@link SyscallException}.
 */
public final class DirectoryCalls {
    private static final SyscallNumbers NR = SyscallNumbers.host();
    private static final int SYS_OPENAT = NR.require("openat");
    private static final int SYS_MKDIRAT = NR.require("mkdirat");
    private static final int SYS_UNLINKAT = NR.require("unlinkat");
    private static final int SYS_RENAMEAT2 = NR.require("renameat2");
    private static final int SYS_STATX = NR.require("statx");
    private static final int SYS_GETDENTS64 = NR.require("getdents64");
    private static final int SYS_PIDFD_OPEN = NR.require("pidfd_open");
    private static final int SYS_MKNODAT = NR.require("mknodat");
    private static final int SYS_FCHMODAT = NR.require("fchmodat");
    private static final int SYS_FLOCK = NR.require("flock");

    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int RENAME_NOREPLACE = 1;
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFIFO = 0010000;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    /** struct statx: the same layout on every architecture. */
    private static final int STATX_SIZE = 256;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int DIRENT_BUFFER = 32 * 1024;

    private DirectoryCalls() {
    }

    /** What statx reports about a file (the fields Bulwark reads). */
    public record FileStatus(int mode, int uid, int gid, long size, long modifiedSeconds) {
        public int type() {
            return mode & S_IFMT;
        }

        public boolean isDirectory() {
            return type() == S_IFDIR;
        }

        public boolean isRegularFile() {
            return type() == S_IFREG;
        }

        public boolean isFifo() {
            return type() == S_IFIFO;
        }

        public boolean isSymlink() {
            return type() == S_IFLNK;
        }

        public int permissions() {
            return mode & 07777;
        }
    }

    /** A directory entry: its name and {@code d_type} (DT_DIR 4, DT_REG 8, DT_LNK 10, DT_UNKNOWN 0). */
    public record Entry(String name, int type) {
        public static final int DT_UNKNOWN = 0;
        public static final int DT_DIR = 4;

        /** A directory, or a file system that does not fill in d_type (the caller must check). */
        public boolean mayBeDirectory() {
            return type == DT_DIR || type == DT_UNKNOWN;
        }
    }

    /**
     * A directory entry with its name as the kernel's raw bytes: a name need not be UTF-8 (a byte 0xff is
     * a valid name), and decoding then encoding it again would name a different file.
     */
    public record RawEntry(byte[] name, int type) {
        public RawEntry {
            name = name.clone();
        }

        @Override
        public byte[] name() {
            return name.clone();
        }

        /** A directory, or a file system that does not fill in d_type (the caller must check). */
        public boolean mayBeDirectory() {
            return type == Entry.DT_DIR || type == Entry.DT_UNKNOWN;
        }

        /** The name for messages (undecodable bytes shown as U+FFFD); never to be passed back to the kernel. */
        public String displayName() {
            return new String(name, StandardCharsets.UTF_8);
        }
    }

    public static int openat(int dirfd, String path, int flags, int mode) {
        return openat(dirfd, path.getBytes(StandardCharsets.UTF_8), flags, mode);
    }

    /** openat with the name as raw bytes (a name read by {@link #rawEntries}). */
    public static int openat(int dirfd, byte[] path, int flags, int mode) {
        try (NativeMemory memory = new NativeMemory()) {
            long result;
            do {
                result = Kernel.raw(SYS_OPENAT, dirfd, memory.bytes(path, true), flags, mode, 0);
            } while (result == -Errno.EINTR);
            return (int) check(result, "openat", dirfd, q(path), "0x" + Integer.toHexString(flags), "0" + Integer.toOctalString(mode));
        }
    }

    public static void mkdirat(int dirfd, String name, int mode) {
        mkdirat(dirfd, name.getBytes(StandardCharsets.UTF_8), mode);
    }

    /** mkdirat with the name as raw bytes. */
    public static void mkdirat(int dirfd, byte[] name, int mode) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_MKDIRAT, dirfd, memory.bytes(name, true), mode, 0, 0), "mkdirat", dirfd, q(name),
                    "0" + Integer.toOctalString(mode));
        }
    }

    /** unlinkat(dirfd, name, flags): flags 0 for a file, AT_REMOVEDIR for an empty directory. Never follows a symlink. */
    public static void unlinkat(int dirfd, String name, int flags) {
        unlinkat(dirfd, name.getBytes(StandardCharsets.UTF_8), flags);
    }

    /** unlinkat with the name as raw bytes (a name read by {@link #rawEntries}). */
    public static void unlinkat(int dirfd, byte[] name, int flags) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_UNLINKAT, dirfd, memory.bytes(name, true), flags, 0, 0), "unlinkat", dirfd, q(name), flags);
        }
    }

    /** renameat2: with RENAME_NOREPLACE, EEXIST instead of replacing an existing target. */
    public static void renameat2(int fromDirfd, String from, int toDirfd, String to, int flags) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_RENAMEAT2, fromDirfd, memory.cString(from), toDirfd, memory.cString(to), flags),
                    "renameat2", fromDirfd, q(from), toDirfd, q(to), flags);
        }
    }

    /** statx(dirfd, path, flags): pass AT_SYMLINK_NOFOLLOW to see a symlink itself, AT_EMPTY_PATH with "" for dirfd itself. */
    public static FileStatus statx(int dirfd, String path, int flags) {
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.allocate(STATX_SIZE);
            check(Kernel.raw(SYS_STATX, dirfd, memory.cString(path), flags, STATX_BASIC_STATS, buffer), "statx", dirfd,
                    q(path), "0x" + Integer.toHexString(flags), "[buf]");
            int uid = NativeMemory.getInt(buffer + 20);
            int gid = NativeMemory.getInt(buffer + 24);
            int mode = NativeMemory.getInt(buffer + 28) & 0xffff;
            long size = NativeMemory.getLong(buffer + 40);
            long mtime = NativeMemory.getLong(buffer + 112);
            return new FileStatus(mode, uid, gid, size, mtime);
        }
    }

    /** Every entry of the directory open at {@code dirfd} (reads it from its current offset), without "." and "..". */
    public static List<Entry> entries(int dirfd) {
        return rawEntries(dirfd).stream()
                .map(entry -> new Entry(new String(entry.name, StandardCharsets.UTF_8), entry.type)).toList();
    }

    /** As {@link #entries}, each name as the kernel's bytes, exactly as {@link #openat(int, byte[], int, int)} wants it back. */
    public static List<RawEntry> rawEntries(int dirfd) {
        List<RawEntry> entries = new ArrayList<>();
        try (NativeMemory memory = new NativeMemory()) {
            long buffer = memory.allocate(DIRENT_BUFFER);
            while (true) {
                long count = check(Kernel.raw(SYS_GETDENTS64, dirfd, buffer, DIRENT_BUFFER, 0, 0), "getdents64", dirfd,
                        "[buf]", DIRENT_BUFFER);
                if (count == 0) {
                    return entries;
                }
                // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[]
                for (long offset = 0; offset < count; ) {
                    long record = buffer + offset;
                    int length = NativeMemory.getBytes(record + 16, 2)[0] & 0xff
                            | (NativeMemory.getBytes(record + 17, 1)[0] & 0xff) << 8;
                    int type = NativeMemory.getBytes(record + 18, 1)[0] & 0xff;
                    byte[] raw = NativeMemory.getBytes(record + 19, length - 19);
                    int end = 0;
                    while (end < raw.length && raw[end] != 0) {
                        end++;
                    }
                    byte[] name = java.util.Arrays.copyOf(raw, end);
                    boolean dots = (end == 1 && name[0] == '.') || (end == 2 && name[0] == '.' && name[1] == '.');
                    if (!dots) {
                        entries.add(new RawEntry(name, type));
                    }
                    offset += length;
                }
            }
        }
    }

    /** mknodat(dirfd, name, S_IFIFO | mode, 0): a named pipe (the umask applies to mode). */
    public static void mkfifoat(int dirfd, String name, int mode) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_MKNODAT, dirfd, memory.cString(name), S_IFIFO | mode, 0, 0), "mknodat", dirfd, q(name),
                    "S_IFIFO|0" + Integer.toOctalString(mode));
        }
    }

    /** fchmodat(dirfd, name, mode, 0): sets the permission bits exactly (no umask). Follows a symlink: use on entries you made. */
    public static void fchmodat(int dirfd, String name, int mode) {
        try (NativeMemory memory = new NativeMemory()) {
            check(Kernel.raw(SYS_FCHMODAT, dirfd, memory.cString(name), mode, 0, 0), "fchmodat", dirfd, q(name),
                    "0" + Integer.toOctalString(mode));
        }
    }

    /** flock(fd, operation): LOCK_EX, optionally | LOCK_NB; released when the last descriptor of the open file closes. */
    public static void flock(int fd, int operation) {
        long result;
        do {
            result = Kernel.raw(SYS_FLOCK, fd, operation, 0, 0, 0);
        } while (result == -Errno.EINTR);
        check(result, "flock", fd, operation);
    }

    /** pidfd_open(pid, 0): a descriptor that keeps naming this process even after its pid is reused. */
    public static int pidfdOpen(int pid) {
        return (int) check(Kernel.raw(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0), "pidfd_open", pid, 0);
    }

    private static String q(String name) {
        return '"' + name + '"';
    }

    /** A raw name for messages: printable ASCII as is, every other byte as \\xNN. */
    private static String q(byte[] name) {
        StringBuilder text = new StringBuilder("\"");
        for (byte b : name) {
            if (b >= 0x20 && b < 0x7f && b != '\\') {
                text.append((char) b);
            } else {
                text.append(String.format("\\x%02x", b & 0xff));
            }
        }
        return text.append('"').toString();
    }

    private static long check(long result, String operation, Object... arguments) {
        if (Kernel.isError(result)) {
            throw new SyscallException(operation, java.util.Arrays.stream(arguments).map(String::valueOf).toList(),
                    (int) -result);
        }
        return result;
    }
}
