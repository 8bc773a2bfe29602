package dev.bulwark.nativ;

import com.kenai.jffi.MemoryIO;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An arena of native memory: everything allocated through it is freed together on {@link #close()}.
 * Allocations are zero-filled.
 */
public final class NativeMemory implements AutoCloseable {
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final List<Long> blocks = new ArrayList<>();
    /** Each block's start and size, so that a reader of a table can tell its pointers from plain numbers. */
    private final java.util.TreeMap<Long, Long> extents = new java.util.TreeMap<>();

    /** Allocates {@code size} zeroed bytes, 16-byte aligned (malloc's guarantee on 64-bit Linux). */
    public long allocate(long size) {
        long address = IO.allocateMemory(Math.max(size, 1), true);
        if (address == 0) {
            throw new OutOfMemoryError("native allocation of " + size + " bytes failed");
        }
        blocks.add(address);
        extents.put(address, Math.max(size, 1));
        return address;
    }

    /** Whether {@code address} lies inside a block allocated here (and not yet freed). */
    public boolean contains(long address) {
        var block = extents.floorEntry(address);
        return block != null && address - block.getKey() < block.getValue();
    }

    /** The bytes from {@code address} to the end of the block it lies in (empty when not {@link #contains} it). */
    public byte[] bytesToEndOfBlock(long address) {
        var block = extents.floorEntry(address);
        if (block == null || address - block.getKey() >= block.getValue()) {
            return new byte[0];
        }
        return getBytes(address, (int) (block.getKey() + block.getValue() - address));
    }

    /** A NUL-terminated copy of {@code value} in UTF-8. */
    public long cString(String value) {
        return bytes(value.getBytes(StandardCharsets.UTF_8), true);
    }

    /** A copy of {@code data}, optionally followed by a NUL byte. */
    public long bytes(byte[] data, boolean nulTerminated) {
        long address = allocate(data.length + (nulTerminated ? 1 : 0));
        IO.putByteArray(address, data, 0, data.length);
        return address;
    }

    /** A NULL-terminated array of pointers to NUL-terminated strings, as execve wants argv and envp. */
    public long cStringArray(List<String> values) {
        long array = allocate(8L * (values.size() + 1));
        for (int i = 0; i < values.size(); i++) {
            IO.putLong(array + 8L * i, cString(values.get(i)));
        }
        return array;
    }

    public static void putLong(long address, long value) {
        IO.putLong(address, value);
    }

    public static long getLong(long address) {
        return IO.getLong(address);
    }

    public static void putInt(long address, int value) {
        IO.putInt(address, value);
    }

    public static int getInt(long address) {
        return IO.getInt(address);
    }

    public static void putBytes(long address, byte[] data) {
        IO.putByteArray(address, data, 0, data.length);
    }

    public static byte[] getBytes(long address, int length) {
        byte[] data = new byte[length];
        IO.getByteArray(address, data, 0, length);
        return data;
    }

    @Override
    public void close() {
        for (long block : blocks) {
            IO.freeMemory(block);
        }
        blocks.clear();
        extents.clear();
    }
}
