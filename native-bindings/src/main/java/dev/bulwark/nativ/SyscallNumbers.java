package dev.bulwark.nativ;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Syscall name to number, per architecture, read from the tables generated from the kernel's
 * uapi headers (resources {@code syscalls/<arch>.txt}, one "name number" a line).
 */
public final class SyscallNumbers {
    private static final Map<Arch, SyscallNumbers> CACHE = Collections.synchronizedMap(new EnumMap<>(Arch.class));

    private final Arch arch;
    private final Map<String, Integer> byName;

    private SyscallNumbers(Arch arch, Map<String, Integer> byName) {
        this.arch = arch;
        this.byName = Collections.unmodifiableMap(byName);
    }

    public static SyscallNumbers of(Arch arch) {
        return CACHE.computeIfAbsent(arch, SyscallNumbers::load);
    }

    public static SyscallNumbers host() {
        return of(Arch.requireHost());
    }

    public Arch arch() {
        return arch;
    }

    public OptionalInt find(String name) {
        Integer number = byName.get(name);
        return number == null ? OptionalInt.empty() : OptionalInt.of(number);
    }

    /** The number of a syscall the caller cannot do without. */
    public int require(String name) {
        Integer number = byName.get(name);
        if (number == null) {
            throw new IllegalArgumentException("syscall " + name + " does not exist on " + arch.resourceName());
        }
        return number;
    }

    /** Every name this architecture knows, in number order. */
    public Map<String, Integer> all() {
        return byName;
    }

    private static SyscallNumbers load(Arch arch) {
        return new SyscallNumbers(arch, readTable(arch.resourceName()));
    }

    /** Reads the table {@code syscalls/<resourceName>.txt}; shared with {@link SyscallAbi}. */
    static Map<String, Integer> readTable(String resourceName) {
        String resource = "syscalls/" + resourceName + ".txt";
        Map<String, Integer> byName = new LinkedHashMap<>();
        try (InputStream in = SyscallNumbers.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split("\\s+");
                byName.put(parts[0], Integer.parseInt(parts[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
        return Collections.unmodifiableMap(byName);
    }
}
