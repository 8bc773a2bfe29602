package dev.bulwark.launcher.setup;

import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallNumbers;
import dev.bulwark.nativ.spawn.SyscallTable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** A compiled table as comparable text: each entry's name, syscall, arguments (pointers by content), judgement and kind. */
final class TableDump {
    private TableDump() {
    }

    static List<String> of(SyscallTable table) {
        Map<Integer, String> names = new HashMap<>();
        SyscallNumbers.host().all().forEach((name, number) -> names.put(number, name));
        return IntStream.range(0, table.size()).mapToObj(i -> {
            SyscallTable.Entry entry = table.entry(i);
            String syscall = names.getOrDefault(entry.number(), "nr " + entry.number());
            return i + " " + entry.step() + " | " + syscall + ArgumentText.of(entry, syscall, table.memory(), j -> j)
                    + " | " + entry.judgement() + " | " + entry.kind() + contents(entry, table.memory());
        }).toList();
    }

    /** The memory each pointer argument points to, and one level further (pointers in it by content too). */
    private static String contents(SyscallTable.Entry entry, NativeMemory memory) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            long value = entry.argument(i);
            if (entry.argumentSource(i) < 0 && value != 0 && memory.contains(value)) {
                text.append(" | arg").append(i).append('=').append(hex(memory.bytesToEndOfBlock(value), memory, 1));
            }
        }
        return text.toString();
    }

    private static String hex(byte[] bytes, NativeMemory memory, int depth) {
        StringBuilder text = new StringBuilder();
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int i = 0;
        for (; i + 8 <= bytes.length; i += 8) {
            long word = buffer.getLong(i);
            if (word != 0 && memory.contains(word)) {
                text.append(depth > 0 ? "{" + hex(memory.bytesToEndOfBlock(word), memory, depth - 1) + "}" : "{ptr}");
            } else {
                text.append(String.format("%016x", word));
            }
        }
        for (; i < bytes.length; i++) {
            text.append(String.format("%02x", bytes[i]));
        }
        return text.toString();
    }
}
