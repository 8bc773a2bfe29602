package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * A table entry's arguments as text, read back from the entry and the table's memory: a pointer to a
 * NUL-terminated string (or to printable bytes) shows its text, another pointer {@code &struct[N bytes]},
 * a result of an earlier entry {@code result of #I}, any other value a number.
 */
final class ArgumentText {
    /** How many arguments each syscall the compilers use takes: the table always holds six. */
    private static final Map<String, Integer> ARITY = Map.ofEntries(
            Map.entry("close", 1), Map.entry("prctl", 5), Map.entry("read", 3), Map.entry("write", 3),
            Map.entry("setresgid", 3), Map.entry("setresuid", 3), Map.entry("setgroups", 2), Map.entry("unshare", 1),
            Map.entry("socket", 3), Map.entry("ioctl", 3), Map.entry("sethostname", 2), Map.entry("setdomainname", 2),
            Map.entry("openat", 4), Map.entry("openat2", 4), Map.entry("mkdirat", 3), Map.entry("mknodat", 4), Map.entry("fchownat", 5), Map.entry("renameat2", 5), Map.entry("linkat", 5), Map.entry("unlinkat", 3),
            Map.entry("symlinkat", 3), Map.entry("chdir", 1), Map.entry("fchdir", 1), Map.entry("mount", 5),
            Map.entry("umount2", 2), Map.entry("pivot_root", 2), Map.entry("open_tree", 3), Map.entry("mount_setattr", 5),
            Map.entry("move_mount", 5), Map.entry("fsopen", 2), Map.entry("fsconfig", 5), Map.entry("fsmount", 3),
            Map.entry("setns", 2), Map.entry("prlimit64", 4), Map.entry("umask", 1), Map.entry("setsid", 0),
            Map.entry("close_range", 3), Map.entry("rt_sigaction", 4), Map.entry("rt_sigprocmask", 4),
            Map.entry("execve", 3), Map.entry("seccomp", 3), Map.entry("capset", 2),
            Map.entry("landlock_create_ruleset", 3), Map.entry("landlock_add_rule", 4),
            Map.entry("landlock_restrict_self", 2), Map.entry("personality", 1), Map.entry("ioprio_set", 3),
            Map.entry("sched_setattr", 3), Map.entry("dup3", 3));
    private static final int MAX_STRING = 200;

    private ArgumentText() {
    }

    /**
     * @param syscall       the entry's syscall name (its arity; unknown names drop trailing zeros)
     * @param stepOfEntry   the plan index of a table index (the table may hold progress reports too)
     */
    static List<String> of(SyscallTable.Entry entry, String syscall, NativeMemory memory, IntUnaryOperator stepOfEntry) {
        int arity = ARITY.getOrDefault(syscall, -1);
        if (arity < 0) {
            arity = 6;
            while (arity > 0 && entry.argumentSource(arity - 1) < 0 && entry.argument(arity - 1) == 0) {
                arity--;
            }
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < arity; i++) {
            int source = entry.argumentSource(i);
            texts.add(source >= 0 ? "result of #" + stepOfEntry.applyAsInt(source) : value(entry.argument(i), memory));
        }
        return texts;
    }

    private static String value(long value, NativeMemory memory) {
        if (value != 0 && memory.contains(value)) {
            byte[] bytes = memory.bytesToEndOfBlock(value);
            String text = printable(bytes);
            return text != null ? text : "&struct[" + bytes.length + " bytes]";
        }
        return value >= -4096 && value < 65536 ? Long.toString(value) : "0x" + Long.toHexString(value);
    }

    /** The bytes as a quoted string when they are text (NUL only at the very end), else null. */
    private static String printable(byte[] bytes) {
        int length = bytes.length > 0 && bytes[bytes.length - 1] == 0 ? bytes.length - 1 : bytes.length;
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xff;
            if (b < 0x20 && b != '\n' && b != '\t' || b == 0x7f) {
                return null;
            }
        }
        String text = new String(bytes, 0, length, StandardCharsets.UTF_8).replace("\\", "\\\\").replace("\"", "\\\"")
                .replace("\n", "\\n").replace("\t", "\\t");
        return "\"" + (text.length() > MAX_STRING ? text.substring(0, MAX_STRING) + "..." : text) + "\"";
    }
}
